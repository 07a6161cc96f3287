/**
 * A worker_thread that runs guests. It loads the light runtimes at once and Pyodide on the first
 * Python job (from the pool's memory snapshot when there is one), after which the thread locks its
 * realm down. Its owner terminates it when a guest overruns or damages an interpreter.
 */
import { fileURLToPath } from 'node:url'
import { parentPort, workerData } from 'node:worker_threads'
import type { HostBridge, HostReply } from '../../../shared/host-call'
import { PythonRuntime, type LoadPyodide } from '../../../shared/runtime/python-runtime'
import type { RunOutcome } from '../../../shared/runtime/runtime'
import { lockDownRealm, stubNetworkForPyodide } from './realm-lockdown'
import {
  HOST_HEADER_BYTES,
  type ThreadInit,
  type ThreadMessage,
  type ThreadRequest,
} from './thread-protocol'
import { loadRuntimes } from './runtimes'

const port = parentPort
const init = workerData as ThreadInit
const stop = new Int32Array(init.stopFlag)
const hostState = new Int32Array(init.hostBuffer, 0, 3)
const hostBytes = new Uint8Array(init.hostBuffer, HOST_HEADER_BYTES)
const decoder = new TextDecoder()
let sequence = 0

/**
 * A blocking line to the owner for the guest's `db` calls: the guest runs synchronously on this
 * thread, so the call parks it on Atomics.wait until the owner writes the reply to shared memory.
 */
function bridgeFor(id: number, deadline: number): HostBridge {
  return {
    call(call) {
      const mine = ++sequence
      Atomics.store(hostState, 0, 0)
      post({ kind: 'host-call', id, sequence: mine, call })
      for (;;) {
        if (Atomics.load(stop, 0) !== 0) return { ok: false, error: 'the job was stopped' }
        const left = deadline - Date.now()
        if (left <= 0)
          return { ok: false, error: 'the job ran out of time waiting for the database' }
        Atomics.wait(hostState, 0, 0, Math.min(left, 50))
        if (Atomics.load(hostState, 0) === 1 && Atomics.load(hostState, 2) === mine) break
      }
      const text = decoder.decode(hostBytes.slice(0, Atomics.load(hostState, 1)))
      Atomics.store(hostState, 0, 0)
      return JSON.parse(text) as HostReply
    },
  }
}
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
      host: bridgeFor(id, deadline),
    })
  }
  const state = interpreter && {
    owner: interpreter.owner,
    heapBytes: interpreter.heapBytes,
    baseBytes: interpreter.baseBytes,
  }
  post({ kind: 'done', id, outcome, ...(state && { python: state }) })
})
