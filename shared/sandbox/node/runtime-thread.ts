/**
 * A worker_thread that runs guests (see shared/sandbox/sandbox-host.ts). It loads the light
 * runtimes at once and Pyodide on the first Python job (from the pool's memory snapshot when there
 * is one), after which the thread locks its realm down. Its owner terminates it when a guest
 * overruns or damages an interpreter.
 */
import { fileURLToPath } from 'node:url'
import { parentPort, workerData } from 'node:worker_threads'
import { PythonRuntime, type LoadPyodide } from '../../runtime/python-runtime'
import { serveSandbox } from '../sandbox-host'
import type { ThreadInit, ThreadMessage, ThreadRequest } from '../sandbox-protocol'
import { lockDownRealm, blockPyodideSockets } from './realm-lockdown'
import { loadRuntimes } from './runtimes'

const port = parentPort
const init = workerData as ThreadInit
const post = (message: ThreadMessage) => port?.postMessage(message)

const runtimes = loadRuntimes({ stackBytes: init.stackBytes })

const handle = serveSandbox({
  init,
  post,
  runtimes,
  loadPython: async () => {
    blockPyodideSockets()
    const { loadPyodide } = await import('pyodide')
    const loaded = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide, {
      // Explicit: Pyodide guesses its directory from stack traces, which loaders such as tsx change.
      indexURL: fileURLToPath(new URL('.', import.meta.resolve('pyodide'))),
      ...(init.pythonSnapshot ? { snapshot: init.pythonSnapshot } : { makeSnapshot: true }),
    })
    // Pyodide loads beside the light runtimes; the realm is frozen once both have started.
    await runtimes.catch(() => undefined)
    lockDownRealm(loaded.pyodide)
    return loaded
  },
})

port?.on('message', (request: ThreadRequest) => {
  void handle(request).then(post)
})
