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
    // Its own process group: the volunteers live in a child process (worker-host-supervisor.ts),
    // and freezing or killing "the worker" must reach them too.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  /** SIGTERM asks the worker itself to drain; any other signal goes to its whole group. */
  const send = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid)
      process.kill(name === 'SIGTERM' ? child.pid : -child.pid, name)
  }
  const signal = async (name: NodeJS.Signals) => {
    send(name)
    await exited
  }
  return {
    pid: child.pid ?? 0,
    output: () => output,
    volunteerIds: () => Array.from(output.matchAll(/ as (\S+)\n/g), (m) => m[1] as string),
    signal: send,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  }
}
