/**
 * A worker_thread that runs guests. It loads every runtime once and then runs one request at a
 * time; its owner terminates it when a guest overruns its deadline or damages the interpreter.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { RunRequest } from '../../../shared/runtime/runtime'
import { loadRuntimes } from './runtimes'

export interface ThreadRequest {
  id: number
  request: RunRequest
  deadline: number
}

export interface ThreadInit {
  /** One Int32 set to 1 by the owner to cancel the current job. */
  cancelFlag: SharedArrayBuffer
  stackBytes: number
}

const init = workerData as ThreadInit
const cancelled = new Int32Array(init.cancelFlag)
const runtimes = loadRuntimes({ stackBytes: init.stackBytes })

parentPort?.on('message', async ({ id, request, deadline }: ThreadRequest) => {
  const started = Date.now()
  const runtime = (await runtimes)[request.runtime]
  if (!runtime) {
    const error = {
      code: 'RUNTIME_UNAVAILABLE' as const,
      message: `this worker cannot run ${request.runtime} jobs`,
    }
    parentPort?.postMessage({
      id,
      outcome: { ok: false, error, output: '', durationMs: Date.now() - started },
    })
    return
  }
  const outcome = await runtime.run(request, {
    deadline,
    isCancelled: () => Atomics.load(cancelled, 0) === 1,
  })
  parentPort?.postMessage({ id, outcome })
})
