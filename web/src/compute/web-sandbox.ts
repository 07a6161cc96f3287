/** The sandbox pool's threads in a browser: module Web Workers, driven through Comlink. */
import * as Comlink from 'comlink'
import type { SpawnSandbox } from '../../../shared/sandbox/sandbox-pool'
import type { ComputeApi } from './compute-api'

export const spawnWebWorker: SpawnSandbox = (init, events) => {
  const worker = new Worker(new URL('./compute-worker.ts', import.meta.url), {
    type: 'module',
    name: 'zerverless-sandbox',
  })
  const api = Comlink.wrap<ComputeApi>(worker)
  const fail = (err: unknown) => events.crashed(err instanceof Error ? err.message : String(err))
  worker.addEventListener('error', (event) => {
    event.preventDefault()
    events.crashed(event.message || 'the sandbox worker failed to load')
  })
  const ready = api.init(
    init,
    Comlink.proxy((message) => events.message(message)),
  )
  ready.catch(fail)
  return {
    run(request) {
      ready.then(() => api.run(request)).catch(fail)
    },
    terminate() {
      worker.terminate()
    },
  }
}
