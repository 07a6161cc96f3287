/**
 * The inside of a sandbox thread, the same in a Node worker_thread and a browser Web Worker: runs
 * each request on its runtime with the deadline, the stop flag and a blocking line to the owner
 * for the guest's `db` calls. The host file around it loads the runtimes and locks its realm.
 */
import type { HostBridge, HostReply } from '../host-call'
import type { Runtime } from '../job'
import type { PythonRuntime } from '../runtime/python-runtime'
import type { GuestRuntime, RunOutcome } from '../runtime/runtime'
import {
  HOST_HEADER_BYTES,
  type DoneMessage,
  type ThreadInit,
  type ThreadMessage,
  type ThreadRequest,
} from './sandbox-protocol'
import { memoryState } from './memory-policy'

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

const NO_SHARED_MEMORY: HostBridge = {
  call: () => ({
    ok: false,
    error: 'the database is unavailable on this volunteer (its page is not cross-origin isolated)',
  }),
}

/** Returns the thread's request handler; `post` carries host calls and the Python snapshot. */
export function serveSandbox(
  options: SandboxHostOptions,
): (request: ThreadRequest) => Promise<DoneMessage> {
  const { init, post } = options
  const stop = new Int32Array(init.stopFlag ?? new ArrayBuffer(4))
  const decoder = new TextDecoder()
  let sequence = 0

  /**
   * The guest runs synchronously on this thread, so a `db` call parks it on Atomics.wait until
   * the owner writes the reply to shared memory.
   */
  function bridgeFor(id: number, deadline: number): HostBridge {
    if (!init.hostBuffer) return NO_SHARED_MEMORY
    const state = new Int32Array(init.hostBuffer, 0, 3)
    const bytes = new Uint8Array(init.hostBuffer, HOST_HEADER_BYTES)
    return {
      call(call) {
        const mine = ++sequence
        Atomics.store(state, 0, 0)
        post({ kind: 'host-call', id, sequence: mine, call })
        for (;;) {
          if (Atomics.load(stop, 0) !== 0) return { ok: false, error: 'the job was stopped' }
          const left = deadline - Date.now()
          if (left <= 0)
            return { ok: false, error: 'the job ran out of time waiting for the database' }
          Atomics.wait(state, 0, 0, Math.min(left, 50))
          if (Atomics.load(state, 0) === 1 && Atomics.load(state, 2) === mine) break
        }
        const text = decoder.decode(bytes.slice(0, Atomics.load(state, 1)))
        Atomics.store(state, 0, 0)
        return JSON.parse(text) as HostReply
      },
    }
  }

  let python: Promise<PythonRuntime> | undefined
  let interpreter: PythonRuntime | undefined
  const loadPython = (load: () => Promise<PythonRuntime>) => {
    python ??= load().then((loaded) => {
      if (loaded.initialSnapshot) post({ kind: 'python-snapshot', bytes: loaded.initialSnapshot })
      interpreter = loaded
      return loaded
    })
    return python
  }

  return async ({ id, request, deadline }) => {
    const started = Date.now()
    let outcome: RunOutcome
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
        outcome = { ok: false, error, output: '', durationMs: Date.now() - started }
      } else {
        outcome = await runtime.run(request, {
          deadline,
          isCancelled: () => Atomics.load(stop, 0) !== 0,
          stopFlag: stop,
          host: bridgeFor(id, deadline),
        })
      }
    } catch (err) {
      // A runtime that failed to load: the pool replaces this thread, and the job is not the guest's fault.
      const message = err instanceof Error ? err.message : String(err)
      outcome = {
        ok: false,
        error: { code: 'WORKER_CRASHED', message: `the sandbox could not start: ${message}` },
        output: '',
        durationMs: Date.now() - started,
        poisoned: true,
        // Say a browser lost the network while loading its runtimes: another attempt will do.
        retryable: true,
      }
      python = undefined
    }
    const state = interpreter && {
      owner: interpreter.owner,
      heapBytes: interpreter.heapBytes,
      baseBytes: interpreter.baseBytes,
    }
    const memory = memoryState(await options.runtimes.catch(() => ({})), interpreter)
    return { kind: 'done', id, outcome, ...(state && { python: state }), memory }
  }
}
