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
import { isLinkBatch, type ChildItem, type LinkBatch, type ParentItem } from './link-channel'
import type { WorkerHostOptions } from './worker-host'

/**
 * What the parent sends: the host's options (with whether to report events, and whether its
 * volunteers link over this channel rather than WebSockets), then drain or stop.
 */
export type HostCommand =
  { start: Omit<WorkerHostOptions, 'onEvent'>; events: boolean; links: boolean } | 'drain' | 'stop'

/** What the child sends back: its volunteers' events, and `done` once a drain or stop is over. */
export type HostReport = { event: { index: number; event: AgentEvent } } | 'done'

export interface SupervisorHooks {
  onEvent?: (index: number, event: AgentEvent) => void
  /** The child died and is started again in `inMs`. */
  onRestart?: (why: string, inMs: number) => void
  /**
   * The parent's end of the volunteers' links, when they talk to it over the IPC channel
   * (internal workers) instead of WebSockets to `url`.
   */
  links?: LinkPeer
}

/** The orchestrator's side of a child's links (edge/node/internal-links.ts). */
export interface LinkPeer {
  /** A child started: items for its links go through `send` until `detach`. */
  attach(send: (batch: LinkBatch<ParentItem>) => void): void
  /** Items from the child's links. */
  receive(items: ChildItem[]): void
  /** The child is gone: every link it had is closed. */
  detach(): void
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
/**
 * How IPC messages are encoded. Frames are plain JSON values, and for them Node's JSON channel
 * costs about half the CPU of 'advanced' (V8's structured-clone serializer): a function's job
 * frame out and its result back, one per message, took 7 µs of the parent and 15 of the child,
 * against 16 and 24 (`npm run bench -- ipc`).
 */
const SERIALIZATION = 'json'

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
      serialization: SERIALIZATION,
    })
    const links = hooks.links
    const current = child
    child.on('message', (report: HostReport | LinkBatch<ChildItem>) => {
      if (isLinkBatch<ChildItem>(report)) links?.receive(report.link)
      else if (typeof report === 'object') hooks.onEvent?.(report.event.index, report.event.event)
    })
    const command: HostCommand = {
      start: options,
      events: hooks.onEvent !== undefined,
      links: links !== undefined,
    }
    child.send(command)
    links?.attach((batch) => {
      if (current.connected) current.send(batch)
    })
    child.once('exit', (code, signal) => {
      links?.detach()
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
