/**
 * The inside of a sandbox thread, the same in a Node worker_thread and a browser Web Worker: runs
 * each request on its runtime with the deadline, the stop flag and a blocking line to the owner
 * for the guest's `db` calls. The host file around it loads the runtimes and locks its realm.
 *
 * Once a Python guest may reach this realm, nothing here may depend on what it can alter: the
 * functions used are captured at load, a request is copied into a null-prototype object by its own
 * properties before anything reads it, a job's line to the owner dies when its run returns, and a
 * thread that Python has served refuses every other namespace (the pool never sends one; this is
 * the second lock).
 */
import type { HostBridge, HostReply } from '../protocol/host-call'
import type { Runtime } from '../protocol/job'
import type { PythonRuntime } from '../runtime/python-runtime'
import type { GuestRuntime, RunOutcome, RunRequest } from '../runtime/runtime'
import {
  HOST_HEADER_BYTES,
  type DoneMessage,
  type ThreadInit,
  type ThreadMessage,
  type ThreadRequest,
} from './sandbox-protocol'
import { memoryState } from './memory-policy'
import { DEFAULT_WARM_BUDGET_MB, WarmBudget } from './warm-budget'

// Captured before any guest runs in this realm.
const { wait, load, store } = Atomics
const { parse } = JSON
const { now } = Date
const { hasOwn, create, freeze, assign } = Object
const decode = TextDecoder.prototype.decode

export interface SandboxHostOptions {
  init: ThreadInit
  post: (message: ThreadMessage) => void
  runtimes: Promise<Partial<Record<Runtime, GuestRuntime>>>
  /**
   * Loads Python on first use (from `init.pythonSnapshot` when there is one) and locks the realm
   * down afterwards. Absent where this thread offers no Python.
   */
  loadPython?: () => Promise<PythonRuntime>
}

/** A guest reporting progress in a loop posts at most one message per this many ms. */
const PROGRESS_GAP_MS = 100

const NO_SHARED_MEMORY: HostBridge = {
  call: () => ({
    ok: false,
    error: 'the database is unavailable on this volunteer (its page is not cross-origin isolated)',
  }),
}

const REQUEST_FIELDS = [
  'runtime',
  'namespace',
  'mode',
  'code',
  'input',
  'timeoutMs',
  'memoryBytes',
  'outputLimit',
  'wasm',
  'warm',
  'secrets',
] as const

/** The request as plain data: own properties only, on an object with no prototype to tamper with. */
function plainRequest(request: RunRequest): RunRequest {
  const plain = create(null) as Record<string, unknown>
  for (const field of REQUEST_FIELDS)
    if (hasOwn(request, field))
      plain[field] = (request as unknown as Record<string, unknown>)[field]
  const warm = plain.warm as Record<string, unknown> | undefined
  if (warm !== undefined) {
    // The warm key decides which context a call reaches: read as plain data, like the rest.
    const key =
      typeof warm === 'object' && warm !== null && hasOwn(warm, 'key') ? warm.key : undefined
    if (typeof key === 'string') plain.warm = freeze(assign(create(null) as object, { key }))
    else delete plain.warm
  }
  return plain as unknown as RunRequest
}

/** Returns the thread's request handler; `post` carries host calls and the Python snapshot. */
export function serveSandbox(
  options: SandboxHostOptions,
): (request: ThreadRequest) => Promise<DoneMessage> {
  const { init, post } = options
  const stop = new Int32Array(init.stopFlag ?? new ArrayBuffer(4))
  const decoder = new TextDecoder()
  const warmBudget = new WarmBudget(init.warmBudgetBytes ?? DEFAULT_WARM_BUDGET_MB * 1024 * 1024)
  let sequence = 0
  /** The namespace this thread serves for life once a Python job reached it. */
  let tenant: string | undefined

  /**
   * The guest runs synchronously on this thread, so a `db` call parks it on Atomics.wait until
   * the owner writes the reply to shared memory. `revoke` ends the line when the job's run returns.
   * Progress needs no shared memory: it is posted, at most one per PROGRESS_GAP_MS. The latest
   * one held back goes out at the next chance the thread gets while the guest runs (its next
   * report, a `db` call, an interrupt check: `tick`) once the gap is over, or when the run returns.
   */
  function bridgeFor(
    id: number,
    deadline: number,
  ): { bridge: HostBridge; tick(): void; revoke(): void } {
    let open = true
    let postedAt = -PROGRESS_GAP_MS
    let held: { fraction: number; message: string | undefined } | undefined
    const send = (fraction: number, message: string | undefined) => {
      postedAt = now()
      held = undefined
      post({ kind: 'progress', id, fraction, ...(message !== undefined && { message }) })
    }
    const tick = () => {
      if (held !== undefined && now() - postedAt >= PROGRESS_GAP_MS)
        send(held.fraction, held.message)
    }
    const progress = (fraction: number, message: string | undefined) => {
      if (!open) return
      held = { fraction, message }
      tick()
    }
    const revoke = () => {
      if (open && held) send(held.fraction, held.message)
      open = false
    }
    if (!init.hostBuffer) return { bridge: { call: NO_SHARED_MEMORY.call, progress }, tick, revoke }
    const state = new Int32Array(init.hostBuffer, 0, 3)
    const bytes = new Uint8Array(init.hostBuffer, HOST_HEADER_BYTES)
    const bridge: HostBridge = {
      progress,
      call(call) {
        if (!open) return { ok: false, error: 'the job has ended: its database line is closed' }
        tick()
        const mine = ++sequence
        store(state, 0, 0)
        post({ kind: 'host-call', id, sequence: mine, call })
        for (;;) {
          if (load(stop, 0) !== 0) return { ok: false, error: 'the job was stopped' }
          const left = deadline - now()
          if (left <= 0)
            return { ok: false, error: 'the job ran out of time waiting for the database' }
          wait(state, 0, 0, Math.min(left, 50))
          if (load(state, 0) === 1 && load(state, 2) === mine) break
        }
        const text = decode.call(decoder, bytes.slice(0, load(state, 1))) as string
        store(state, 0, 0)
        return parse(text) as HostReply
      },
    }
    return { bridge, tick, revoke }
  }

  let python: Promise<PythonRuntime> | undefined
  let interpreter: PythonRuntime | undefined
  const loadPython = (loadInterpreter: () => Promise<PythonRuntime>) => {
    python ??= loadInterpreter().then((loaded) => {
      if (loaded.initialSnapshot) post({ kind: 'python-snapshot', bytes: loaded.initialSnapshot })
      interpreter = loaded
      return loaded
    })
    return python
  }

  return async ({ id, request: received, deadline }) => {
    const started = now()
    const request = plainRequest(received)
    let outcome: RunOutcome
    if (tenant !== undefined && request.namespace !== tenant) {
      outcome = {
        ok: false,
        error: { code: 'WORKER_CRASHED', message: 'this sandbox thread serves another namespace' },
        output: '',
        durationMs: 0,
        poisoned: true,
        retryable: true,
      }
      return { kind: 'done', id, outcome }
    }
    if (request.runtime === 'python' && tenant === undefined) {
      tenant = request.namespace
      // From here on a guest may reach this realm: no other namespace's warm context stays in it.
      const loaded = await options.runtimes.catch(() => ({}))
      for (const runtime of Object.values(loaded)) runtime.dropWarm?.(0)
    }
    const line = bridgeFor(id, deadline)
    try {
      const runtime =
        request.runtime === 'python'
          ? options.loadPython && (await loadPython(options.loadPython))
          : (await options.runtimes)[request.runtime]
      if (!runtime) {
        const error = {
          code: 'RUNTIME_UNAVAILABLE' as const,
          message: `this worker cannot run ${request.runtime} jobs`,
        }
        outcome = { ok: false, error, output: '', durationMs: now() - started }
      } else {
        outcome = await runtime.run(request, {
          deadline,
          // Polled often while the guest runs: the chance to send progress it held back.
          isCancelled: () => {
            line.tick()
            return load(stop, 0) !== 0
          },
          stopFlag: stop,
          host: line.bridge,
        })
        // Before the report, while the call's deadline still holds this thread. A thread about to
        // be replaced keeps nothing; runtimes evict without failing (a Python heap left too big
        // by a failed eviction is replaced by the pool), and the job's verdict stays its own.
        if (outcome.ok || !outcome.poisoned) {
          warmBudget.used(runtime)
          warmBudget.enforce()
        }
      }
    } catch (err) {
      // A runtime that failed to load: the pool replaces this thread, and the job is not the guest's fault.
      const message = err instanceof Error ? err.message : String(err)
      outcome = {
        ok: false,
        error: { code: 'WORKER_CRASHED', message: `the sandbox could not start: ${message}` },
        output: '',
        durationMs: now() - started,
        poisoned: true,
        // Say a browser lost the network while loading its runtimes: another attempt will do.
        retryable: true,
      }
      python = undefined
    } finally {
      // Nothing of a job may reach the database after its run returned.
      line.revoke()
    }
    const state = interpreter && {
      heapBytes: interpreter.heapBytes,
      baseBytes: interpreter.baseBytes,
    }
    const memory = memoryState(await options.runtimes.catch(() => ({})), interpreter)
    return { kind: 'done', id, outcome, ...(state && { python: state }), memory }
  }
}
