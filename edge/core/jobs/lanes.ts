/**
 * Which lane a piece of work travels in, decided here and nowhere else, and the one constructor
 * of the entries that wait in the queue. Plain jobs and function calls share the per-runtime heaps
 * (calls first); native jobs fit only some runners; redundant jobs send copies to distinct sites.
 */
import type { Runtime } from '../../../shared/protocol/job'
import { isForwarded } from '../federation/forwarded-namespace'
import type { WorkSpec } from '../placement/work'
import type { Executor } from './executor-policy'

export type Lane = 'plain' | 'redundant' | 'native' | 'call'

/** A job's lane, from what it was submitted as. */
export function laneOf(job: { job_type: Runtime; redundancy: number }): Exclude<Lane, 'call'> {
  if (job.job_type === 'native') return 'native'
  return job.redundancy > 1 ? 'redundant' : 'plain'
}

/** Work waiting for a site: what the queue orders it by, and what decides where it may run. */
export interface PendingEntry extends WorkSpec {
  id: string
  /** Queue order: jobs by submission, function calls before every job. */
  seq: number
  lane: Lane
  /** When it became pending here (ms), for the dispatch latency metric; unknown after a restart. */
  queuedAt?: number | undefined
  /** Only sites here may take it: function calls, and work a peer forwarded here (one hop). */
  home?: boolean
}

/** What a pending entry is made from: a stored job (or row), or a function call. */
export interface Queueable {
  id: string
  seq: number
  job_type: Runtime
  namespace: string
  executor: Executor
  redundancy: number
  /** Names of the secrets it declares. */
  secrets?: readonly string[]
}

/** The pending entry of a job (its lane from `laneOf`), or of a function call (`lane` 'call'). */
export function pendingEntry(
  work: Queueable,
  queuedAt?: number,
  lane: Lane = laneOf(work),
): PendingEntry {
  return {
    id: work.id,
    seq: work.seq,
    lane,
    runtime: work.job_type,
    namespace: work.namespace,
    executor: work.executor,
    queuedAt,
    ...((lane === 'call' || isForwarded(work.namespace)) && { home: true }),
    // Work with secrets waits for a site that may have them, and never leaves for a peer.
    ...(work.secrets?.length && { secrets: true, home: true }),
  }
}
