/**
 * Runs a worker host (volunteers and their sandbox threads, worker-host.ts) in a child process and
 * starts it again when it dies. A sandbox thread's heap limit is best-effort: one allocation past
 * it (a guest's `Array(2**27).fill(0)` through Pyodide's FFI) makes V8 abort the whole process
 * (nodejs/node#47224). So guests never share a process with the orchestrator (internal workers) or
 * with a donor's `zerverless --worker`, which would otherwise stop for good at the first such job;
 * the jobs the child held are re-queued by the orchestrator like any disconnected volunteer's.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AgentEvent } from '../agent-ports'
import { entryPoint } from '../../sandbox/node/entry-points'
import type { WorkerHostOptions } from './worker-host'

/** What the parent sends: the host's options (with whether to report events), then drain or stop. */
export type HostCommand =
  { start: Omit<WorkerHostOptions, 'onEvent'>; events: boolean } | 'drain' | 'stop'

/** What the child sends back: its volunteers' events, and `done` once a drain or stop is over. */
export type HostReport = { event: { index: number; event: AgentEvent } } | 'done'

export interface SupervisorHooks {
  onEvent?: (index: number, event: AgentEvent) => void
  /** The child died and is started again in `inMs`. */
  onRestart?: (why: string, inMs: number) => void
}

export interface SupervisedHost {
  /** Running jobs finish and are reported; then the child exits. */
  drain(): Promise<void>
  /** Stops at once (the orchestrator re-queues what was running). */
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

/** Credentials the child gets over IPC if at all, never in its environment. */
const SECRET_ENV = /^ZERVERLESS_.*TOKEN$/

/** Waits before starting a crashed process again; doubled per quick crash, up to 10 s. */
const RESTART_MS = 250
const MAX_RESTART_MS = 10_000
/** A process that lived this long had not crashed quickly. */
const STABLE_MS = 30_000
/** How long a stop waits for the child to close its sockets before killing it. */
const STOP_GRACE_MS = 2000

export function superviseWorkerHost(
  options: Omit<WorkerHostOptions, 'onEvent'>,
  hooks: SupervisorHooks = {},
): SupervisedHost {
  let child: ChildProcess
  let stopping = false
  let delay = RESTART_MS
  let restart: ReturnType<typeof setTimeout> | undefined

  const start = () => {
    const started = Date.now()
    child = fork(fileURLToPath(entryPoint('worker-host-process')), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...childEnv(), ...GIVE_MEMORY_BACK },
    })
    child.on('message', (report: HostReport) => {
      if (typeof report === 'object') hooks.onEvent?.(report.event.index, report.event.event)
    })
    const command: HostCommand = { start: options, events: hooks.onEvent !== undefined }
    child.send(command)
    child.once('exit', (code, signal) => {
      if (stopping) return
      delay = Date.now() - started > STABLE_MS ? RESTART_MS : Math.min(MAX_RESTART_MS, delay * 2)
      hooks.onRestart?.(signal ?? `code ${code}`, delay)
      restart = setTimeout(start, delay)
    })
  }
  start()

  /** Sends `command` and waits for `done` or the child's exit (or `waitMs`, when given). */
  const ask = async (command: 'drain' | 'stop', waitMs?: number): Promise<void> => {
    stopping = true
    clearTimeout(restart)
    if (!alive(child)) return
    const over = new Promise<void>((resolve) => {
      child.on('message', (report: HostReport) => report === 'done' && resolve())
      child.once('exit', () => resolve())
    })
    child.send(command)
    await (waitMs === undefined
      ? over
      : Promise.race([over, new Promise((r) => setTimeout(r, waitMs))]))
  }

  return {
    drain: () => ask('drain'),
    stop: async () => {
      await ask('stop', STOP_GRACE_MS)
      if (!alive(child)) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGKILL')
      await exited
    },
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !SECRET_ENV.test(name)))
}
