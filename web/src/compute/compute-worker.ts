/**
 * A browser sandbox thread: a module Web Worker the page drives through Comlink. Guest code runs
 * only here, never on the page's thread; the page terminates this worker when a guest overruns.
 */
import * as Comlink from 'comlink'
import { serveSandbox } from '../../../shared/sandbox/sandbox-host'
import type {
  DoneMessage,
  ThreadMessage,
  ThreadRequest,
} from '../../../shared/sandbox/sandbox-protocol'
import { loadBrowserPython, loadBrowserRuntimes } from './browser-runtimes'
import type { ComputeApi } from './compute-api'

let handle: ((request: ThreadRequest) => Promise<DoneMessage>) | undefined
let report: ((message: ThreadMessage) => void) | undefined

const api: ComputeApi = {
  init(init, events) {
    report = (message) => void events(message)
    const runtimes = loadBrowserRuntimes()
    handle = serveSandbox({
      init,
      post: report,
      runtimes,
      loadPython: () => loadBrowserPython(init.pythonSnapshot, runtimes),
    })
  },
  async run(request) {
    if (!handle || !report) throw new Error('the sandbox was not initialised')
    report(await handle(request))
  },
}

Comlink.expose(api)
