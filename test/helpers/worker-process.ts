/** `zerverless --worker <ws-url>`: a real Node worker process, stopped by PID. */
import { spawn } from 'node:child_process'
import path from 'node:path'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')

export interface WorkerProcess {
  pid: number
  output: () => string
  /** The volunteer ids its connections were welcomed with, oldest first. */
  volunteerIds: () => string[]
  /** Sends a signal without waiting (SIGSTOP freezes it with its sockets open, SIGCONT thaws it). */
  signal(name: NodeJS.Signals): void
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
  return {
    pid: child.pid ?? 0,
    output: () => output,
    volunteerIds: () => Array.from(output.matchAll(/ as (\S+)\n/g), (m) => m[1] as string),
    signal: (name) => {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, name)
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  }
}
