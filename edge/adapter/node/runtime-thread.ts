/**
 * A worker_thread that runs guests. It loads the light runtimes at once and Pyodide on the first
 * Python job (from the pool's memory snapshot when there is one), after which the thread locks its
 * realm down. Its owner terminates it when a guest overruns or damages an interpreter.
 */
import { fileURLToPath } from 'node:url'
import { parentPort, workerData } from 'node:worker_threads'
import { PythonRuntime, type LoadPyodide } from '../../../shared/runtime/python-runtime'
import type { RunOutcome, RunRequest } from '../../../shared/runtime/runtime'
import { lockDownRealm, stubNetworkForPyodide } from './realm-lockdown'
import { loadRuntimes } from './runtimes'

export interface ThreadRequest {
  id: number
  request: RunRequest
  deadline: number
}

export interface ThreadInit {
  /** One Int32 the owner sets to STOP_SIGNAL at the deadline or on cancel. */
  stopFlag: SharedArrayBuffer
  stackBytes: number
  /** A Pyodide memory snapshot another thread made, so this one starts Python in ~0.2 s. */
  pythonSnapshot?: Uint8Array
}

/** What a thread says about its interpreter after each job, so the pool can route and recycle. */
export interface PythonState {
  owner: string | undefined
  heapBytes: number
  baseBytes: number
}

export type ThreadMessage =
  | { kind: 'done'; id: number; outcome: RunOutcome; python?: PythonState }
  | { kind: 'python-snapshot'; bytes: Uint8Array }

const port = parentPort
const init = workerData as ThreadInit
const stop = new Int32Array(init.stopFlag)
const runtimes = loadRuntimes({ stackBytes: init.stackBytes })
let python: Promise<PythonRuntime> | undefined
let interpreter: PythonRuntime | undefined

function loadPython(): Promise<PythonRuntime> {
  python ??= (async () => {
    stubNetworkForPyodide()
    const { loadPyodide } = await import('pyodide')
    const loaded = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide, {
      // Explicit: Pyodide guesses its directory from stack traces, which loaders such as tsx change.
      indexURL: fileURLToPath(new URL('.', import.meta.resolve('pyodide'))),
      ...(init.pythonSnapshot ? { snapshot: init.pythonSnapshot } : { makeSnapshot: true }),
    })
    if (loaded.initialSnapshot) post({ kind: 'python-snapshot', bytes: loaded.initialSnapshot })
    lockDownRealm(loaded.pyodide)
    interpreter = loaded
    return loaded
  })()
  return python
}

function post(message: ThreadMessage): void {
  port?.postMessage(message)
}

port?.on('message', async ({ id, request, deadline }: ThreadRequest) => {
  const started = Date.now()
  const runtime =
    request.runtime === 'python' ? await loadPython() : (await runtimes)[request.runtime]
  let outcome: RunOutcome
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
    })
  }
  const state = interpreter && {
    owner: interpreter.owner,
    heapBytes: interpreter.heapBytes,
    baseBytes: interpreter.baseBytes,
  }
  post({ kind: 'done', id, outcome, ...(state && { python: state }) })
})
