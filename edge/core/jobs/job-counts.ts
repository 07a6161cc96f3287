/**
 * Jobs counted in memory as they move, so `/stats`, listings' totals and the pending-jobs quota
 * never count the store: by status, ever submitted per namespace, pending per namespace.
 */
import type { JobStatus } from '../../../shared/protocol/job'
import type { JobStore, ListQuery } from '../store/job-store'

export class JobCounts {
  private readonly byStatus: Record<JobStatus, number>
  /** Jobs ever submitted per namespace: the total of a listing by namespace (none are deleted). */
  private readonly namespaceTotals: Map<string, number>
  /** Pending jobs per namespace, for the pending-jobs quota (function calls are not jobs). */
  private readonly pendingByNamespace = new Map<string, number>()

  /** Starts from what the store holds; pending jobs are counted as they are queued again. */
  constructor(store: JobStore) {
    this.byStatus = store.counts()
    this.namespaceTotals = store.namespaceTotals()
  }

  /** A job was submitted (it is pending). */
  submitted(namespace: string): void {
    this.byStatus.pending++
    this.namespaceTotals.set(namespace, (this.namespaceTotals.get(namespace) ?? 0) + 1)
    this.notePending(namespace, 1)
  }

  /** A pending job found in the store at startup. */
  restored(namespace: string): void {
    this.notePending(namespace, 1)
  }

  /** A job moved between states. */
  moved(from: JobStatus, to: JobStatus, namespace: string): void {
    this.byStatus[from]--
    this.byStatus[to]++
    if (from === 'pending') this.notePending(namespace, -1)
    if (to === 'pending') this.notePending(namespace, 1)
  }

  pendingIn(namespace: string): number {
    return this.pendingByNamespace.get(namespace) ?? 0
  }

  statusCounts(): Record<JobStatus, number> {
    return { ...this.byStatus }
  }

  /**
   * A listing's total when it is known here: by status alone (GET /api/jobs?status=pending) from
   * the counts /stats shows, so a deep queue does not make every page count it again (issue 9);
   * by namespace alone from the namespace's total.
   */
  knownTotal(query: ListQuery): number | undefined {
    if (query.batchId !== undefined) return undefined
    if (query.status !== undefined && query.namespace === undefined)
      return this.byStatus[query.status]
    if (query.status === undefined && query.namespace !== undefined)
      return this.namespaceTotals.get(query.namespace) ?? 0
    return undefined
  }

  private notePending(namespace: string, delta: number): void {
    const count = (this.pendingByNamespace.get(namespace) ?? 0) + delta
    if (count > 0) this.pendingByNamespace.set(namespace, count)
    else this.pendingByNamespace.delete(namespace)
  }
}
