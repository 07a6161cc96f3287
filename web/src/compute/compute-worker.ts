/**
 * A browser sandbox thread: a module Web Worker the page drives through Comlink. Guest code runs
 * only here, never on the page's thread; the page terminates this worker when a guest overruns.
 */
import * as Comlink from 'comlink'
import { serveSandbox } from '../../../shared/sandbox/sandbox-host'
import type { DoneMessage, ThreadRequest } from '../../../shared/sandbox/sandbox-protocol'
import { loadBrowserPython, loadBrowserRuntimes } from './browser-runtimes'
import type { ComputeApi } from './compute-api'

let handle: ((request: ThreadRequest) => Promise<DoneMessage>) | undefined

const api: ComputeApi = {
  init(init, events) {
    handle = serveSandbox({
      init,
      post: (message) => void events(message),
      runtimes: loadBrowserRuntimes(),
      loadPython: () => loadBrowserPython(init.pythonSnapshot),
    })
  },
  run(request) {
    if (!handle) throw new Error('the sandbox was not initialised')
    return handle(request)
  },
}

Comlink.expose(api)
