/**
 * Picking up after a restart. Pending jobs go back in the queue as they were. Running ones go back
 * too, keeping their attempts, unless the host kept the sockets (Durable Object hibernation): then
 * a job whose site is still connected keeps running there; native jobs are re-queued anyway (their
 * output tokens lived in memory), so are jobs with secrets (their values did), and redundant jobs
 * decide again from their stored answers.
 */
import type { Attempt, Placement, Site } from '../placement/placement'
import type { AnswerStore } from '../store/answer-store'
import type { JobStore, RunningRow } from '../store/job-store'
import { dbAccessFrom } from './executor-policy'
import type { JobCounts } from './job-counts'
import type { JobRuns } from './job-runs'
import { laneOf, pendingEntry, type PendingEntry } from './lanes'
import type { Launcher } from './launcher'
import type { RedundantJobs, Seat } from './redundant-jobs'

export interface RecoveryDeps {
  store: JobStore
  counts: JobCounts
  answers: AnswerStore
  placements: readonly Placement[]
  redundant: RedundantJobs
  jobs: JobRuns
  launcher: Launcher
  /** Queues a job without offering it (no site has been told it may work yet). */
  enqueue(entry: PendingEntry, now: number): void
  timeoutGraceMs: number
}

export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  /** At startup: the pending jobs go back in their queues. */
  restore(now: number): void {
    const { store, counts } = this.deps
    for (const row of store.pending()) {
      counts.restored(row.namespace)
      if (laneOf(row) === 'redundant') this.restoreRedundant(row.id, now)
      else this.deps.enqueue(pendingEntry(row), now)
    }
  }

  /**
   * After a restart that kept sockets: jobs whose site is still connected keep running on it; the
   * rest are re-queued. Then the sites take work again.
   */
  resume(live: Iterable<Site>, now: number): void {
    const { store, counts, placements } = this.deps
    const adopted = new Map<string, Seat>()
    for (const placement of placements)
      for (const site of placement.adopt?.(live) ?? []) adopted.set(site.id, { site, placement })
    for (const row of store.running()) {
      const seat = row.volunteer_id ? adopted.get(row.volunteer_id) : undefined
      const lane = laneOf(row)
      if (seat && lane === 'plain' && row.secrets.length === 0) {
        this.reattach(row, seat, now)
        continue
      }
      // The secret values it was sent lived in memory, and its report could not be redacted of
      // them: its site stops it, and it runs again with the values opened afresh.
      if (seat && row.secrets.length > 0)
        seat.placement.cancel(
          { id: row.id, attempt: row.attempts, site: seat.site },
          'cancelled',
          now,
        )
      if (!store.requeue(row.id)) continue
      counts.moved('running', 'pending', row.namespace)
      if (lane === 'redundant') {
        // Which copies ran where lived in memory: the copies are cancelled and sent again.
        this.cancelCopies(row.id, row.attempts, adopted.values(), now)
        this.restoreRedundant(row.id, now)
      } else {
        this.deps.enqueue(pendingEntry(row, now), now)
      }
    }
    for (const placement of placements) placement.readmit?.()
  }

  private reattach(row: RunningRow, { site, placement }: Seat, now: number): void {
    const attempt: Attempt = {
      id: row.id,
      attempt: row.attempts,
      kind: 'job',
      site,
      placement,
      namespace: row.namespace,
      untrustedDb: dbAccessFrom(row.untrusted_db),
      deadline: (row.started_at ?? now) + row.timeout_ms + this.deps.timeoutGraceMs,
      // Restored: how long it waited is not known, so it is not counted.
      queuedAt: undefined,
      token: undefined,
      done: false,
    }
    placement.reattach?.(attempt)
    this.deps.jobs.reattach(attempt)
    this.deps.launcher.watch(attempt)
  }

  /** Tells live sites to stop copies sent before a restart (their reports would be late). */
  private cancelCopies(id: string, attempt: number, live: Iterable<Seat>, now: number): void {
    const running = new Set(
      this.deps.answers
        .list(id)
        .filter((a) => a.state === 'running' && a.attempt === attempt)
        .map((a) => a.volunteer),
    )
    if (running.size === 0) return
    for (const { site, placement } of live)
      if (running.has(site.key)) placement.cancel({ id, attempt, site }, 'cancelled', now)
  }

  private restoreRedundant(id: string, now: number): void {
    const job = this.deps.store.get(id)
    if (job) this.deps.redundant.add(job, now)
  }
}
