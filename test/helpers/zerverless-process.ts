/** Starts the real `zerverless` CLI on a free loopback port, and stops it by PID. */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { tempDir } from './temp-dir'

export { eventually } from './eventually'
export { removeDir, tempDir } from './temp-dir'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')

export interface ZerverlessProcess {
  url: string
  wsUrl: string
  dataDir: string
  child: ChildProcess
  output: () => string
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>
  /** SIGKILL: the crash case. */
  kill(): Promise<void>
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>
}

export async function startZerverless(
  args: string[] = [],
  dataDir = tempDir(),
  env: NodeJS.ProcessEnv = {},
): Promise<ZerverlessProcess> {
  const child = spawn(
    process.execPath,
    [BIN, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`zerverless did not start:\n${output}`)),
      15_000,
    )
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    void exited.then((code) => reject(new Error(`zerverless exited with ${code}:\n${output}`)))
  })
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}/ws/volunteer`,
    dataDir,
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, 'SIGTERM')
      return exited
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, 'SIGKILL')
      await exited
    },
  }
}
