/** `--workers N`: N volunteers in this process, connected to our own `/ws/volunteer` like any other. */
import { Worker } from 'node:worker_threads'
import { entryPoint } from './entry-points'
import type { WorkerHostOptions } from './worker-host'

export interface InternalWorkers {
  stop(): Promise<void>
}

/** `token`: the process's internal credential, which makes these workers trusted executors. */
export function startInternalWorkers(
  url: string,
  workers: number,
  token?: string,
): InternalWorkers {
  const options: WorkerHostOptions = {
    url,
    workers,
    kind: 'internal',
    name: 'internal',
    ...(token && { token }),
  }
  const thread = new Worker(entryPoint('worker-host-thread'), { workerData: options })
  thread.on('error', (err) => console.error('internal workers failed:', err))
  return {
    stop: async () => {
      const done = new Promise<void>((resolve) => {
        thread.once('message', () => resolve())
        thread.once('exit', () => resolve())
      })
      thread.postMessage('stop')
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))])
      await thread.terminate()
    },
  }
}
