/** What a sandbox Web Worker offers its page over Comlink (types only, shared by both sides). */
import type { Runtime } from '../../../shared/job'
import type {
  DoneMessage,
  ThreadInit,
  ThreadMessage,
  ThreadRequest,
} from '../../../shared/sandbox/sandbox-protocol'

export interface ComputeApi {
  /** `events` carries host calls and the Python snapshot back to the pool while a job runs. */
  init(init: ThreadInit, events: (message: ThreadMessage) => void): void
  run(request: ThreadRequest): Promise<DoneMessage>
}

/** What a browser volunteer says it can run. */
export const BROWSER_RUNTIMES: Runtime[] = ['js', 'lua', 'python', 'wasm']
