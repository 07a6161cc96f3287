/** The sandbox pool on Node: each sandbox is a worker_thread running `runtime-thread.ts`. */
import { Worker } from 'node:worker_threads'
import { SandboxPool, type SandboxPoolOptions, type SpawnSandbox } from '../sandbox-pool'
import type { ThreadMessage } from '../sandbox-protocol'
import { RUN_DEFAULTS } from '../../runtime/runtime'
import { entryPoint } from './entry-points'
import { pythonSnapshotFile } from './python-snapshot-file'

/** Native stack for guest threads; QuickJS gets 1/16 of it (see QuickJsRuntime.load). */
const THREAD_STACK_MB = 16
const GUEST_STACK_BYTES = 1024 * 1024

/**
 * Each thread's V8 heap, old generation: twice the job memory cap, at least 256 MiB. Guests' own
 * data lives in wasm memories, which are capped apart and are not on this heap; what is here is the
 * runtimes' JS side (a loaded Pyodide uses ~21 MiB) and the JS values a Python job makes through
 * Pyodide's FFI (`to_js`), which python-js-budget.ts caps at the job's memory cap. A thread that
 * passes this dies with ERR_WORKER_OUT_OF_MEMORY, and its job fails with OUT_OF_MEMORY. Not less:
 * V8 collects garbage on every `memory.grow` of a wasm memory that is large next to the heap
 * limit (2,048 one-page grows took 4.1 s under a 128 MiB limit, 0.9 s under 256 MiB).
 */
function oldGenerationMb(memoryBytes: number): number {
  return Math.max(256, Math.ceil((2 * memoryBytes) / (1024 * 1024)))
}
/** V8's own default for a large heap; a smaller one makes Pyodide's start up to twice as slow. */
const THREAD_YOUNG_GENERATION_MB = 48

export type ThreadExecutorOptions = Omit<SandboxPoolOptions, 'spawn' | 'stackBytes'>

const spawnThread =
  (memoryBytes: number): SpawnSandbox =>
  (init, events) => {
    const worker = new Worker(entryPoint('runtime-thread'), {
      workerData: init,
      // Guests' threads get no copy of the host's environment (a runner's, a donor's shell's).
      env: {},
      resourceLimits: {
        stackSizeMb: THREAD_STACK_MB,
        maxOldGenerationSizeMb: oldGenerationMb(memoryBytes),
        maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB,
      },
    })
    worker.on('message', (message: ThreadMessage) => events.message(message))
    worker.on('error', (err: Error & { code?: string }) =>
      events.crashed(err.message, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : undefined),
    )
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
    const memoryBytes = options.memoryBytes ?? RUN_DEFAULTS.memoryBytes
    super({
      pythonSnapshots: pythonSnapshotFile(),
      ...options,
      spawn: spawnThread(memoryBytes),
      stackBytes: GUEST_STACK_BYTES,
    })
  }
}
