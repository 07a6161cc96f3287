/**
 * Runs jobs on a pool of worker_threads. Sandboxes stop themselves at their deadline; when one does
 * not (a long native call, a damaged interpreter), the thread is terminated and replaced. Cancelling
 * sets a shared flag the interpreters poll, with termination as the fallback.
 */
import { Worker } from 'node:worker_threads'
import type { JobExecutor } from '../../../shared/agent/volunteer-agent'
import type { JobError } from '../../../shared/job'
import type { JobFrame } from '../../../shared/protocol'
import { formatSeconds, RUN_DEFAULTS, type RunOutcome } from '../../../shared/runtime/runtime'
import { entryPoint } from './entry-points'
import type { ThreadInit, ThreadRequest } from './runtime-thread'

export interface ThreadExecutorOptions {
  threads: number
  memoryBytes?: number
  outputLimit?: number
  /** How long past its deadline a job may run before its thread is killed. */
  killGraceMs?: number
  /** How long a cancelled job may take to notice before its thread is killed. */
  cancelGraceMs?: number
}

/** Native stack for guest threads; QuickJS gets 1/16 of it (see QuickJsRuntime.load). */
const THREAD_STACK_MB = 16
const GUEST_STACK_BYTES = 1024 * 1024

interface Busy {
  id: number
  resolve: (outcome: RunOutcome) => void
  started: number
  timers: ReturnType<typeof setTimeout>[]
}

interface Slot {
  worker: Worker
  flag: Int32Array
  busy?: Busy
}

interface Queued {
  job: JobFrame
  signal: AbortSignal
  resolve: (outcome: RunOutcome) => void
}

export class ThreadExecutor implements JobExecutor {
  private readonly slots: Slot[] = []
  private readonly queue: Queued[] = []
  private nextId = 1
  private closed = false
  private readonly memoryBytes: number
  private readonly outputLimit: number
  private readonly killGraceMs: number
  private readonly cancelGraceMs: number

  constructor(options: ThreadExecutorOptions) {
    this.memoryBytes = options.memoryBytes ?? RUN_DEFAULTS.memoryBytes
    this.outputLimit = options.outputLimit ?? RUN_DEFAULTS.outputLimit
    this.killGraceMs = options.killGraceMs ?? 1000
    this.cancelGraceMs = options.cancelGraceMs ?? 250
    for (let i = 0; i < options.threads; i++) {
      const slot = {} as Slot
      this.spawnInto(slot)
      this.slots.push(slot)
    }
  }

  /** Threads replaced so far (for tests and stats). */
  replaced = 0

  execute(job: JobFrame, signal: AbortSignal): Promise<RunOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ job, signal, resolve })
      this.pump()
    })
  }

  async close(): Promise<void> {
    this.closed = true
    for (const item of this.queue.splice(0))
      item.resolve(stopped(item.job, 'CANCELLED', 'the worker is shutting down', 0))
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()))
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue
      const item = this.queue.shift()
      if (!item) return
      this.dispatch(slot, item)
    }
  }

  private dispatch(slot: Slot, { job, signal, resolve }: Queued): void {
    if (signal.aborted) return resolve(stopped(job, 'CANCELLED', 'job was cancelled', 0))
    const started = Date.now()
    const busy: Busy = { id: this.nextId++, resolve, started, timers: [] }
    slot.busy = busy
    Atomics.store(slot.flag, 0, 0)
    const message: ThreadRequest = {
      id: busy.id,
      deadline: started + job.timeout_ms,
      request: {
        runtime: job.job_type,
        code: job.code,
        input: job.input_data,
        timeoutMs: job.timeout_ms,
        memoryBytes: this.memoryBytes,
        outputLimit: this.outputLimit,
      },
    }
    slot.worker.postMessage(message)
    busy.timers.push(
      setTimeout(
        () => this.kill(slot, busy, stopped(job, 'TIMEOUT', undefined, Date.now() - started)),
        job.timeout_ms + this.killGraceMs,
      ),
    )
    signal.addEventListener(
      'abort',
      () => {
        if (slot.busy !== busy) return
        Atomics.store(slot.flag, 0, 1)
        busy.timers.push(
          setTimeout(
            () =>
              this.kill(
                slot,
                busy,
                stopped(job, 'CANCELLED', 'job was cancelled', Date.now() - started),
              ),
            this.cancelGraceMs,
          ),
        )
      },
      { once: true },
    )
  }

  private settle(slot: Slot, busy: Busy, outcome: RunOutcome): void {
    if (slot.busy !== busy) return
    for (const timer of busy.timers) clearTimeout(timer)
    slot.busy = undefined
    busy.resolve(outcome)
  }

  private kill(slot: Slot, busy: Busy, outcome: RunOutcome): void {
    if (slot.busy !== busy) return
    this.settle(slot, busy, outcome)
    this.replace(slot)
  }

  private replace(slot: Slot): void {
    const old = slot.worker
    old.removeAllListeners()
    void old.terminate()
    if (this.closed) return
    this.replaced++
    this.spawnInto(slot)
    this.pump()
  }

  /** Starts a sandbox thread for a slot; the listeners check the slot still owns that thread. */
  private spawnInto(slot: Slot): void {
    const cancelFlag = new SharedArrayBuffer(4)
    const init: ThreadInit = { cancelFlag, stackBytes: GUEST_STACK_BYTES }
    const worker = new Worker(entryPoint('runtime-thread'), {
      workerData: init,
      resourceLimits: { stackSizeMb: THREAD_STACK_MB },
    })
    slot.worker = worker
    slot.flag = new Int32Array(cancelFlag)
    worker.on(
      'message',
      ({ id, outcome }: { id: number; outcome: RunOutcome & { poisoned?: boolean } }) => {
        const busy = slot.busy
        if (!busy || busy.id !== id || slot.worker !== worker) return
        this.settle(slot, busy, outcome)
        if (!outcome.ok && outcome.poisoned) this.replace(slot)
        else this.pump()
      },
    )
    const crashed = (why: string) => {
      if (slot.worker !== worker) return
      const busy = slot.busy
      if (busy) {
        this.settle(slot, busy, {
          ok: false,
          error: { code: 'WORKER_CRASHED', message: `the sandbox thread died: ${why}` },
          output: '',
          durationMs: Date.now() - busy.started,
        })
      }
      this.replace(slot)
    }
    worker.on('error', (err) => crashed(err.message))
    worker.on('exit', (code) => crashed(`exit code ${code}`))
  }
}

function stopped(
  job: JobFrame,
  code: 'TIMEOUT' | 'CANCELLED',
  message: string | undefined,
  durationMs: number,
): RunOutcome {
  const error: JobError = {
    code,
    message: message ?? `job exceeded its timeout of ${formatSeconds(job.timeout_ms)}`,
  }
  return { ok: false, error, output: '', durationMs }
}
