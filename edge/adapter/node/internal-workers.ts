/**
 * `--workers N`: N volunteers connected to our own `/ws/volunteer` like any other, in a child
 * process (worker-host-process.ts) so that a guest that brings V8 down takes only that process
 * with it. The orchestrator starts it again; the jobs it held are re-queued like any
 * disconnected volunteer's.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { entryPoint } from './entry-points'
import type { WorkerHostOptions } from './worker-host'

export interface InternalWorkers {
  stop(): Promise<void>
}

/**
 * glibc's malloc raises its mmap threshold to the size of each large block freed (up to 32 MiB),
 * after which such blocks come from arenas that keep them when freed: a replaced sandbox thread's
 * buffers (a guest's /tmp, its JS buffers, a Pyodide load) stayed resident. A fixed threshold
 * keeps blocks of 128 KiB and more in their own mappings, which free() returns to the system.
 * Other C libraries ignore the variable.
 */
const GIVE_MEMORY_BACK = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) }

/** Waits before starting a crashed process again; doubled per quick crash, up to 10 s. */
const RESTART_MS = 250
const MAX_RESTART_MS = 10_000
/** A process that lived this long had not crashed quickly. */
const STABLE_MS = 30_000

/**
 * `token`: the process's internal credential, which makes these workers trusted executors. It
 * reaches the child over IPC, never on its command line or in its environment.
 */
export function startInternalWorkers(
  url: string,
  workers: number,
  token?: string,
): InternalWorkers {
  const options: WorkerHostOptions = {
    url,
    workers,
    kind: 'internal',
    name: 'internal',
    ...(token && { token }),
  }
  let child: ChildProcess
  let stopping = false
  let delay = RESTART_MS
  let restart: ReturnType<typeof setTimeout> | undefined

  const start = () => {
    const started = Date.now()
    child = fork(fileURLToPath(entryPoint('worker-host-process')), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...GIVE_MEMORY_BACK },
    })
    child.send({ start: options })
    child.once('exit', (code, signal) => {
      if (stopping) return
      delay = Date.now() - started > STABLE_MS ? RESTART_MS : Math.min(MAX_RESTART_MS, delay * 2)
      console.error(`internal workers exited (${signal ?? `code ${code}`}); starting them again`)
      restart = setTimeout(start, delay)
    })
  }
  start()

  return {
    stop: async () => {
      stopping = true
      clearTimeout(restart)
      if (child.exitCode !== null || child.signalCode !== null) return
      const done = new Promise<void>((resolve) => {
        child.once('message', () => resolve())
        child.once('exit', () => resolve())
      })
      child.send('stop')
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))])
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      if (child.exitCode === null && child.signalCode === null) {
        child.kill()
        await exited
      }
    },
  }
}
