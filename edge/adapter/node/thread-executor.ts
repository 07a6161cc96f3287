/** The sandbox pool on Node: each sandbox is a worker_thread running `runtime-thread.ts`. */
import { Worker } from 'node:worker_threads'
import {
  SandboxPool,
  type SandboxPoolOptions,
  type SpawnSandbox,
} from '../../../shared/sandbox/sandbox-pool'
import type { ThreadMessage } from '../../../shared/sandbox/sandbox-protocol'
import { entryPoint } from './entry-points'

/** Native stack for guest threads; QuickJS gets 1/16 of it (see QuickJsRuntime.load). */
const THREAD_STACK_MB = 16
const GUEST_STACK_BYTES = 1024 * 1024

export type ThreadExecutorOptions = Omit<SandboxPoolOptions, 'spawn' | 'stackBytes'>

const spawnThread: SpawnSandbox = (init, events) => {
  const worker = new Worker(entryPoint('runtime-thread'), {
    workerData: init,
    resourceLimits: { stackSizeMb: THREAD_STACK_MB },
  })
  worker.on('message', (message: ThreadMessage) => events.message(message))
  worker.on('error', (err) => events.crashed(err.message))
  worker.on('exit', (code) => events.crashed(`exit code ${code}`))
  return {
    run: (request) => worker.postMessage(request),
    terminate: () => {
      worker.removeAllListeners()
      void worker.terminate()
    },
  }
}

export class ThreadExecutor extends SandboxPool {
  constructor(options: ThreadExecutorOptions) {
    super({ ...options, spawn: spawnThread, stackBytes: GUEST_STACK_BYTES })
  }
}
