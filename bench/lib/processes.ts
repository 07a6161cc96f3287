/** Servers a benchmark starts: each its own process on loopback, stopped by PID. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')

export interface Served {
  url: string
  pid: number
  /** The orchestrator's data directory (zerverless only), removed by `stop`. */
  dataDir?: string
  stop(): Promise<void>
}

async function waitForUrl(child: ChildProcess, what: string): Promise<string> {
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), 20_000)
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${output}`)))
  })
}

function stopper(child: ChildProcess, cleanup?: () => void) {
  return async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
    }
    cleanup?.()
  }
}

export async function startBaseline(): Promise<Served> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/baseline-server.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  })
  const url = await waitForUrl(child, 'baseline server')
  return { url, pid: child.pid as number, stop: stopper(child) }
}

export async function startZerverless(args: string[] = []): Promise<Served> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'zv-bench-'))
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/zerverless.js'),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    },
  )
  const url = await waitForUrl(child, 'zerverless')
  return {
    url,
    pid: child.pid as number,
    dataDir,
    stop: stopper(child, () => rmSync(dataDir, { recursive: true, force: true })),
  }
}
