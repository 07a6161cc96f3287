/** The workflow contract against the Node server, with a real `zerverless --worker` connected. */
import { describeWorkflowContract } from './workflow-contract'
import { startWorker } from '../helpers/worker-process'
import { removeDir, startZerverless } from '../helpers/zerverless-process'

describeWorkflowContract('Node', async () => {
  const server = await startZerverless(['--workers', '0'])
  const worker = startWorker(server.wsUrl, 2)
  return {
    http: server.url,
    url: server.url,
    host: 'node',
    logs: server.output,
    stop: async () => {
      await worker.kill()
      await server.stop()
      removeDir(server.dataDir)
    },
  }
})
