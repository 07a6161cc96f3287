/**
 * Runs jobs on a pool of sandbox threads (worker_threads in Node, Web Workers in a browser). At the
 * deadline (or on cancel) a shared flag asks the guest to stop, which QuickJS, Lua and Pyodide
 * honour; a guest that does not (WASI, a long native call, a damaged interpreter) has its thread
 * terminated and replaced shortly after.
 *
 * Tenancy: a Python guest can reach its thread's JavaScript realm (Pyodide hands JS objects to
 * Python, and every one leads to the realm's intrinsics), so a thread that was given a Python job
 * is tainted for the rest of its life: from that dispatch on it serves that namespace only, for
 * every runtime, and a job of another namespace gets a free untainted thread or a tainted one
 * replaced first. QuickJS, Lua and WASI guests see only values copied into their own wasm memory,
 * never a JS object of the thread, so they taint nothing and untainted threads cost nothing new.
 */
import type { HostHandler, JobExecutor, RunHooks, RunnableJob } from '../agent/volunteer-agent'
import type { HostReply } from '../protocol/host-call'
import { RUN_DEFAULTS, STOP_SIGNAL, type RunOutcome } from '../runtime/runtime'
import { stopped } from './stopped-outcome'
import { isGuestProgress } from '../runtime/host-dispatch'
import { HOST_REPLY_BYTES, writeReply } from './host-reply'
import {
  HOST_HEADER_BYTES,
  sharedMemory,
  type ThreadInit,
  type ThreadMessage,
  type ThreadRequest,
} from './sandbox-protocol'
import { crashError, outgrew, watchMemoryFlag, type CrashCause } from './memory-policy'
import type { PythonSnapshotStore } from './python-snapshot'
import { warmKey } from './warm-key'

/** A sandbox thread as the pool sees it; the host decides what a thread is. */
interface SandboxThread {
  run(request: ThreadRequest): void
  terminate(): void
}

interface ThreadEvents {
  message(message: ThreadMessage): void
  /** The thread died or failed to start; the pool replaces it. */
  crashed(why: string, cause?: CrashCause): void
}

export type SpawnSandbox = (init: ThreadInit, events: ThreadEvents) => SandboxThread

export interface SandboxPoolOptions {
  threads: number
  spawn: SpawnSandbox
  /** Bytes of stack QuickJS may use; keep it at most 1/16 of the thread's native stack. */
  stackBytes: number
  memoryBytes?: number
  outputLimit?: number
  /** What warm function contexts may hold per thread (default DEFAULT_WARM_BUDGET_MB). */
  warmBudgetBytes?: number
  /** How long past its deadline a job may run before its thread is killed (default: 10% of its timeout, 0.1–1 s). */
  killGraceMs?: number
  /** How long a cancelled job may take to notice before its thread is killed. */
  cancelGraceMs?: number
  /** Keeps the Pyodide snapshot between processes, so a fresh process's first Python job is fast. */
  pythonSnapshots?: PythonSnapshotStore
}

/** An interpreter whose heap grew this far past its start is replaced rather than reused. */
const PYTHON_HEAP_SLACK = 512 * 1024 * 1024

/**
 * One Pyodide snapshot per process: the first thread to load Python makes it, the rest start from
 * it. Every later interpreter of every namespace boots from these bytes, so they are taken only
 * from a thread spawned without a snapshot, as the first thing it says while its first Python job
 * runs: the thread posts them after loading Pyodide and before that job's code starts, and a
 * thread's messages arrive in order, so nothing a guest could post comes first. With a store, the
 * first pool of a process starts from the snapshot an earlier process kept, and keeps the one it
 * takes; a kept snapshot that fails to start an interpreter is forgotten.
 */
let pythonSnapshot: Uint8Array | undefined

interface Busy {
  id: number
  python: boolean
  host?: HostHandler
  hooks?: RunHooks
  resolve: (outcome: RunOutcome) => void
  started: number
  timers: ReturnType<typeof setTimeout>[]
  cleanup?: () => void
}

interface Slot {
  thread: SandboxThread
  flag: Int32Array
  hostBuffer: SharedArrayBuffer | undefined
  busy?: Busy
  /** The namespace this thread serves for life, from the dispatch of its first Python job on. */
  owner?: string
  /** True until the thread's first Python job reports, when it was spawned without a snapshot. */
  snapshotDue: boolean
  /** The snapshot this thread was spawned with. */
  bootSnapshot?: Uint8Array
  /** Modules this thread has compiled, so their bytes are sent once. */
  modules: Set<string>
}

interface Queued {
  job: RunnableJob
  signal: AbortSignal
  host?: HostHandler
  hooks?: RunHooks
  resolve: (outcome: RunOutcome) => void
}

export class SandboxPool implements JobExecutor {
  private readonly slots: Slot[] = []
  private readonly queue: Queued[] = []
  private nextId = 1
  private closed = false
  private readonly memoryBytes: number
  private readonly outputLimit: number
  private readonly cancelGraceMs: number

  /** Threads replaced so far (for tests and stats). */
  replaced = 0

  constructor(private readonly options: SandboxPoolOptions) {
    this.memoryBytes = options.memoryBytes ?? RUN_DEFAULTS.memoryBytes
    this.outputLimit = options.outputLimit ?? RUN_DEFAULTS.outputLimit
    this.cancelGraceMs = options.cancelGraceMs ?? 250
    pythonSnapshot ??= options.pythonSnapshots?.load()
    for (let i = 0; i < options.threads; i++) {
      const slot = { modules: new Set<string>(), snapshotDue: true } as Slot
      this.spawnInto(slot)
      this.slots.push(slot)
    }
  }

  execute(
    job: RunnableJob,
    signal: AbortSignal,
    host?: HostHandler,
    hooks?: RunHooks,
  ): Promise<RunOutcome> {
    return new Promise((resolve) => {
      this.queue.push({
        job,
        signal,
        resolve,
        ...(host && { host }),
        ...(hooks && { hooks }),
      })
      this.pump()
    })
  }

  async close(): Promise<void> {
    this.closed = true
    for (const item of this.queue.splice(0))
      item.resolve(stopped(item.job, 'CANCELLED', 'the worker is shutting down', 0))
    for (const slot of this.slots) slot.thread.terminate()
  }

  /** Hands queued jobs, oldest first, to free threads that may serve their namespace. */
  private pump(): void {
    for (;;) {
      const item = this.queue[0]
      const slot = item && this.pick(item.job)
      if (!item || !slot) return
      this.queue.shift()
      // Never hand a thread another namespace's job once a guest may have reached its realm.
      if (slot.owner !== undefined && slot.owner !== item.job.namespace) this.respawn(slot)
      this.dispatch(slot, item)
    }
  }

  /**
   * A free thread for `job`: for Python its namespace's warm interpreter, else an untainted
   * thread; for other runtimes an untainted thread, else one its own namespace tainted. Failing
   * those, a thread another namespace tainted, which the caller replaces first.
   */
  private pick(job: RunnableJob): Slot | undefined {
    const python = job.job_type === 'python'
    let untainted: Slot | undefined
    let own: Slot | undefined
    let foreign: Slot | undefined
    for (const slot of this.slots) {
      if (slot.busy) continue
      if (slot.owner === undefined) {
        if (!python) return slot
        untainted ??= slot
      } else if (slot.owner === job.namespace) {
        if (python) return slot
        own ??= slot
      } else {
        foreign ??= slot
      }
    }
    return (python ? untainted : own) ?? foreign
  }

  private dispatch(slot: Slot, { job, signal, resolve, host, hooks }: Queued): void {
    if (signal.aborted) return resolve(stopped(job, 'CANCELLED', 'job was cancelled', 0))
    const started = Date.now()
    const python = job.job_type === 'python'
    const busy: Busy = {
      id: this.nextId++,
      python,
      resolve,
      started,
      timers: [],
      ...(host && { host }),
      ...(hooks && { hooks }),
    }
    slot.busy = busy
    // Tainted before the job is sent, not when it reports: its guest may never report.
    if (python) slot.owner = job.namespace
    Atomics.store(slot.flag, 0, 0)
    const sendModule = job.wasm_cid !== undefined && !slot.modules.has(job.wasm_cid)
    const message: ThreadRequest = {
      id: busy.id,
      deadline: started + job.timeout_ms,
      request: {
        runtime: job.job_type,
        namespace: job.namespace,
        ...(job.mode === 'function' && { mode: 'function' as const }),
        ...(job.mode === 'function' &&
          job.function && { warm: { key: warmKey(job.namespace, job.function) } }),
        code: job.code,
        input: job.input_data,
        ...(job.secrets && { secrets: job.secrets }),
        timeoutMs: job.timeout_ms,
        memoryBytes: this.memoryBytes,
        outputLimit: this.outputLimit,
        ...(job.wasm_cid !== undefined && {
          wasm: {
            cid: job.wasm_cid,
            args: job.args ?? [],
            // A WASI command reads the secrets it declared as environment variables.
            env: { ...(job.env ?? {}), ...(job.secrets ?? {}) },
            ...(sendModule && job.wasm_bytes && { bytes: job.wasm_bytes }),
          },
        }),
      },
    }
    slot.thread.run(message)
    hooks?.started?.()
    if (job.wasm_cid !== undefined) slot.modules.add(job.wasm_cid)
    const grace =
      this.options.killGraceMs ?? Math.min(1000, Math.max(100, Math.round(job.timeout_ms / 10)))
    busy.timers.push(
      // Ask first (interpreters stop at their next check) …
      setTimeout(() => Atomics.store(slot.flag, 0, STOP_SIGNAL), job.timeout_ms),
      // … then take the thread away from a guest that did not.
      setTimeout(
        () => this.kill(slot, busy, stopped(job, 'TIMEOUT', undefined, Date.now() - started)),
        job.timeout_ms + grace,
      ),
    )
    const onAbort = () => {
      if (slot.busy !== busy) return
      Atomics.store(slot.flag, 0, STOP_SIGNAL)
      const cancelled = stopped(job, 'CANCELLED', 'job was cancelled', Date.now() - started)
      busy.timers.push(setTimeout(() => this.kill(slot, busy, cancelled), this.cancelGraceMs))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    busy.cleanup = () => signal.removeEventListener('abort', onAbort)
    busy.timers.push(watchMemoryFlag(slot.flag, (over) => this.kill(slot, busy, over), started))
  }

  private settle(slot: Slot, busy: Busy, outcome: RunOutcome): void {
    if (slot.busy !== busy) return
    for (const timer of busy.timers) clearTimeout(timer)
    busy.cleanup?.()
    slot.busy = undefined
    busy.resolve(outcome)
  }

  private kill(slot: Slot, busy: Busy, outcome: RunOutcome): void {
    if (slot.busy !== busy) return
    this.settle(slot, busy, outcome)
    this.respawn(slot)
    this.pump()
  }

  /** Replaces a slot's thread with a fresh one (no interpreter state, no compiled modules). */
  private respawn(slot: Slot): void {
    slot.thread.terminate()
    if (this.closed) return
    this.replaced++
    this.spawnInto(slot)
  }

  /** Starts a sandbox thread for a slot; its events count only while the slot still owns it. */
  private spawnInto(slot: Slot): void {
    const stopFlag = sharedMemory(4)
    const hostBuffer = sharedMemory(HOST_HEADER_BYTES + HOST_REPLY_BYTES)
    const init: ThreadInit = {
      ...(stopFlag && { stopFlag }),
      ...(hostBuffer && { hostBuffer }),
      stackBytes: this.options.stackBytes,
      ...(this.options.warmBudgetBytes !== undefined && {
        warmBudgetBytes: this.options.warmBudgetBytes,
      }),
      ...(pythonSnapshot && { pythonSnapshot }),
    }
    slot.flag = new Int32Array(stopFlag ?? new ArrayBuffer(4))
    slot.hostBuffer = hostBuffer
    slot.owner = undefined
    slot.snapshotDue = !pythonSnapshot
    slot.bootSnapshot = pythonSnapshot
    slot.modules = new Set()
    // Events arrive asynchronously, after `thread` is assigned.
    const thread: SandboxThread = this.options.spawn(init, {
      message: (message) => {
        if (slot.thread === thread) this.receive(slot, message)
      },
      crashed: (why, cause) => {
        if (slot.thread === thread) this.crashed(slot, why, cause)
      },
    })
    slot.thread = thread
  }

  private receive(slot: Slot, message: ThreadMessage): void {
    if (message.kind === 'python-snapshot') {
      if (
        slot.snapshotDue &&
        slot.busy?.python &&
        message.bytes instanceof Uint8Array &&
        !pythonSnapshot
      ) {
        pythonSnapshot = message.bytes
        this.options.pythonSnapshots?.save(message.bytes)
      }
      slot.snapshotDue = false
      return
    }
    if (message.kind === 'progress') {
      // A Python guest can reach its thread, so what the thread says is checked again here.
      const { id, fraction, message: text } = message
      if (slot.busy?.id === id && isGuestProgress(fraction, text))
        slot.busy.hooks?.progress?.(fraction, text)
      return
    }
    if (message.kind === 'host-call') {
      const asking = slot.busy
      if (!asking || asking.id !== message.id) return
      const thread = slot.thread
      const answer = asking.host
        ? asking.host(message.call)
        : Promise.resolve<HostReply>({
            ok: false,
            error: 'the database is not available to this job',
          })
      void answer.then((reply) => {
        if (slot.busy === asking && slot.thread === thread && slot.hostBuffer)
          writeReply(slot.hostBuffer, message.sequence, reply)
      })
      return
    }
    const busy = slot.busy
    if (!busy || busy.id !== message.id) return
    this.settle(slot, busy, message.outcome)
    if (busy.python) slot.snapshotDue = false
    const outcome = message.outcome
    // A Python job that found no interpreter: the thread could not start one from its snapshot.
    const unstarted = !outcome.ok && outcome.error.code === 'WORKER_CRASHED' && !message.python
    if (busy.python && unstarted && slot.bootSnapshot === pythonSnapshot) this.unboot()
    const bloated =
      message.python && message.python.heapBytes > message.python.baseBytes + PYTHON_HEAP_SLACK
    const poisoned = !message.outcome.ok && message.outcome.poisoned
    if (poisoned || bloated || outgrew(message)) this.respawn(slot)
    this.pump()
  }

  /** Python did not start from the snapshot: later threads load Pyodide afresh and take a new one. */
  private unboot(): void {
    if (!pythonSnapshot) return
    pythonSnapshot = undefined
    this.options.pythonSnapshots?.discard()
  }

  private crashed(slot: Slot, why: string, cause?: CrashCause): void {
    const busy = slot.busy
    if (busy) {
      this.settle(slot, busy, {
        ok: false,
        error: crashError(why, cause),
        output: '',
        durationMs: Date.now() - busy.started,
      })
    }
    this.respawn(slot)
    this.pump()
  }
}
