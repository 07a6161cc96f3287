/**
 * Long polls on jobs and batches (`?wait=`): a caller waits until its job ends, or until every job
 * of its batch did, or its time runs out. A batch is counted down as its jobs end, so waiting on
 * one costs nothing per job.
 */
import type { JobStatus } from '../../../shared/protocol/job'
import { isFinished, JOB_STATUSES } from '../../../shared/protocol/job'
import type { JobStore } from '../store/job-store'
import type { JobRecord } from './job-record'
import { Waiters } from './waiters'

export class JobWaits {
  private readonly waiters = new Waiters()
  /** Unfinished jobs of batches someone is waiting on. */
  private readonly batchRemaining = new Map<string, number>()

  constructor(private readonly store: JobStore) {}

  /** Resolves when the job ends or `ms` pass, whichever is first. */
  async waitFor(id: string, ms: number): Promise<JobRecord | undefined> {
    const job = this.store.get(id)
    if (!job || isFinished(job.status) || ms <= 0) return job
    await this.waiters.wait(id, ms)
    return this.store.get(id)
  }

  async waitForBatch(batchId: string, ms: number): Promise<Record<JobStatus, number>> {
    const counts = this.store.batchCounts(batchId)
    if (batchDone(counts) || ms <= 0) return counts
    this.batchRemaining.set(batchId, counts.pending + counts.running)
    const key = `batch:${batchId}`
    await this.waiters.wait(key, ms)
    if (!this.waiters.has(key)) this.batchRemaining.delete(batchId)
    return this.store.batchCounts(batchId)
  }

  /** A job ended: its waiters wake, and its batch's once it was the last. */
  ended(id: string, batch: string | null): void {
    this.waiters.wake(id)
    const remaining = batch === null ? undefined : this.batchRemaining.get(batch)
    if (batch === null || remaining === undefined) return
    if (remaining <= 1) {
      this.batchRemaining.delete(batch)
      this.waiters.wake(`batch:${batch}`)
    } else {
      this.batchRemaining.set(batch, remaining - 1)
    }
  }
}

export function batchDone(counts: Record<JobStatus, number>): boolean {
  return JOB_STATUSES.every((s) => isFinished(s) || counts[s] === 0)
}
