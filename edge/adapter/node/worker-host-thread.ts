/** Internal workers' thread: hosts the volunteer agents off the orchestrator's main thread. */
import { parentPort, workerData } from 'node:worker_threads'
import { startWorkerHost, type WorkerHostOptions } from './worker-host'

const host = startWorkerHost(workerData as WorkerHostOptions)

parentPort?.on('message', async (message: 'drain' | 'stop') => {
  if (message === 'drain') await host.drain()
  else await host.stop()
  parentPort?.postMessage('done')
})
