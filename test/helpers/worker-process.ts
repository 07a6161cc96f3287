/** `zerverless --worker <ws-url>`: a real Node worker process, stopped by PID. */
import { spawn } from 'node:child_process'
import path from 'node:path'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')

export interface WorkerProcess {
  output: () => string
  /** SIGTERM (drain), then wait. */
  stop(): Promise<void>
  /** SIGKILL: the volunteer vanishes. */
  kill(): Promise<void>
}

export function startWorker(wsUrl: string, workers = 1, extra: string[] = []): WorkerProcess {
  const child = spawn(
    process.execPath,
    [BIN, '--worker', wsUrl, '--workers', String(workers), ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid)
      process.kill(child.pid, name)
    await exited
  }
  return { output: () => output, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') }
}
