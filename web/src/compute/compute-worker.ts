/**
 * A browser sandbox thread: a module Web Worker the page drives with plain messages. Guest code
 * runs only here, never on the page's thread; the page terminates this worker when a guest overruns.
 */
import { serveSandbox } from '../../../shared/sandbox/sandbox-host'
import type {
  DoneMessage,
  ThreadMessage,
  ThreadRequest,
} from '../../../shared/sandbox/sandbox-protocol'
import { loadBrowserPython, loadBrowserRuntimes } from './browser-runtimes'
import type { ToComputeWorker } from './compute-api'

// Captured before any guest runs in this realm (a Python job locks and freezes it afterwards).
const post = self.postMessage.bind(self) as (message: ThreadMessage) => void
const later = setTimeout
/** Rethrown outside the promise, so the page gets the worker's error event. */
const fail = (err: unknown) =>
  void later(() => {
    throw err
  })

let handle: ((request: ThreadRequest) => Promise<DoneMessage>) | undefined

self.addEventListener('message', (event: MessageEvent<ToComputeWorker>) => {
  const message = event.data
  if (message.kind === 'init') {
    // Once: a second init would start a second set of runtimes beside the first.
    if (handle) return
    const runtimes = loadBrowserRuntimes()
    const init = message.init
    handle = serveSandbox({
      init,
      post,
      runtimes,
      loadPython: () => loadBrowserPython(init.pythonSnapshot, runtimes),
    })
    return
  }
  if (!handle) throw new Error('the sandbox was not initialised')
  // A failure here is the thread's, not the guest's: the error event makes the pool replace it.
  handle(message.request).then(post, fail)
})
