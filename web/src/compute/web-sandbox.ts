/**
 * The sandbox pool's threads in a browser: module Web Workers, driven by plain messages on their
 * own port (one per job each way; a Comlink call cost two, and its proxied callback two more).
 */
import type { SpawnSandbox } from '../../../shared/sandbox/sandbox-pool'
import type { ThreadMessage } from '../../../shared/sandbox/sandbox-protocol'
import type { ToComputeWorker } from './compute-api'

export const spawnWebWorker: SpawnSandbox = (init, events) => {
  const worker = new Worker(new URL('./compute-worker.ts', import.meta.url), {
    type: 'module',
    name: 'zerverless-sandbox',
  })
  const send = (message: ToComputeWorker) => worker.postMessage(message)
  worker.addEventListener('message', (event: MessageEvent<ThreadMessage>) =>
    events.message(event.data),
  )
  worker.addEventListener('messageerror', () =>
    events.crashed('a message from the sandbox worker could not be read'),
  )
  worker.addEventListener('error', (event) => {
    event.preventDefault()
    events.crashed(event.message || 'the sandbox worker failed to load')
  })
  send({ kind: 'init', init })
  return {
    run: (request) => send({ kind: 'run', request }),
    terminate: () => worker.terminate(),
  }
}
