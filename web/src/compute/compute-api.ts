/** What a sandbox Web Worker offers its page over Comlink (types only, shared by both sides). */
import type { Runtime } from '../../../shared/protocol/job'
import type {
  ThreadInit,
  ThreadMessage,
  ThreadRequest,
} from '../../../shared/sandbox/sandbox-protocol'

export interface ComputeApi {
  /**
   * `events` carries everything the worker says back to the pool — host calls, the Python
   * snapshot and each job's done message — over one port, so the pool sees them in the order the
   * worker said them (it takes the snapshot only before the first Python job reports).
   */
  init(init: ThreadInit, events: (message: ThreadMessage) => void): void
  /** Starts a job; its done message comes through `events`. */
  run(request: ThreadRequest): Promise<void>
}

/** What a browser volunteer says it can run. */
export const BROWSER_RUNTIMES: Runtime[] = ['js', 'lua', 'python', 'wasm']
