/**
 * The API contract against the Worker under real workerd (`wrangler dev`), its namespaces spread
 * over four job rooms, with a real `zerverless --worker` connected over WebSocket.
 */
import { describeContract } from '../contract/api-contract'
import { startEdge } from '../helpers/edge-process'
import { startWorker } from '../helpers/worker-process'

describeContract('Workers (workerd)', async () => {
  const edge = await startEdge({ rooms: 4 })
  const worker = startWorker(edge.wsUrl, 2)
  return {
    http: edge.url,
    url: edge.url,
    host: 'workers',
    stop: async () => {
      await worker.kill()
      if (process.env.ZV_DEBUG) console.log(edge.output(), worker.output())
      await edge.dispose()
    },
  }
})
