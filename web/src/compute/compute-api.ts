/**
 * What the page and a sandbox Web Worker say to each other (types only, shared by both sides):
 * plain messages on the worker's own port, one each way per job, like a Node sandbox thread's.
 */
import type { Runtime } from '../../../shared/protocol/job'
import type { ThreadInit, ThreadRequest } from '../../../shared/sandbox/sandbox-protocol'

/**
 * Page → worker: `init` once, first, then one `run` per job. The worker answers with
 * `ThreadMessage`s (host calls, the Python snapshot, each job's done message) in the order it
 * says them, so the pool takes the snapshot only before the first Python job reports.
 */
export type ToComputeWorker =
  { kind: 'init'; init: ThreadInit } | { kind: 'run'; request: ThreadRequest }

/** What a browser volunteer says it can run. */
export const BROWSER_RUNTIMES: Runtime[] = ['js', 'lua', 'python', 'wasm']
