/**
 * Plain and native jobs on their sites, one attempt at a time. A report ends the job, or, when the
 * site failed rather than the guest, puts it back in the queue; so do a site that disconnects and
 * one silent past the deadline, until `max_retries` is used up (MAX_RETRIES).
 */
import type { JobError } from '../../../shared/protocol/job'
import { formatSeconds } from '../../../shared/runtime/runtime'
import type { Attempt, Placement, Report, Site } from '../placement/placement'
import type { Progress } from '../placement/work'
import type { JobStore } from '../store/job-store'
import type { JobCounts } from './job-counts'
import type { JobRecord } from './job-record'
import { pendingEntry, type PendingEntry } from './lanes'
import type { Launcher } from './launcher'
import type { End, NativeJobs, SecretOpener } from './scheduler-types'
import type { Opened, SecretValues } from '../secrets/secret-service'

const unreadable: Opened = {
  ok: false,
  error: {
    code: 'SECRETS_UNAVAILABLE',
    message:
      'this orchestrator has no secrets key, so the secrets this job declares cannot be opened',
  },
}

export interface JobRunsDeps {
  store: JobStore
  counts: JobCounts
  launcher: Launcher
  end: End
  /** A job is pending again: queue it, and offer it to the placements. */
  requeued(entry: PendingEntry, now: number): void
  /** Native jobs: what to send a runner (see services/native-service-jobs.ts). */
  native?: NativeJobs | undefined
  codeOf(hash: string): string
  timeoutGraceMs: number
  /** Opens declared secrets; without it, work that declares any fails at dispatch. */
  secrets?: SecretOpener | undefined
}

export class JobRuns {
  /** The running attempt of each plain or native job. */
  private readonly running = new Map<string, Attempt>()

  constructor(private readonly deps: JobRunsDeps) {}

  /** Starts a pending job on a site; false when it was no longer pending. */
  start(entry: PendingEntry, site: Site, placement: Placement, now: number): boolean {
    const { store, counts, launcher } = this.deps
    const job = store.start(entry.id, site.id, now)
    if (!job) return false
    counts.moved('pending', 'running', job.namespace)
    const secrets = this.openSecrets(job)
    if (entry.lane !== 'native') {
      const queuedAt = entry.queuedAt
      const extras = { queuedAt, secrets }
      this.running.set(job.id, launcher.launch(job, 'job', site, placement, now, extras))
      return true
    }
    const token = randomToken()
    const native = this.deps.native
    const run = native
      ? native.run(job, token, this.deps.codeOf(job.code_hash))
      : { error: 'native jobs are not enabled' }
    if ('error' in run) {
      const error: JobError = { code: 'RUNTIME_UNAVAILABLE', message: run.error }
      this.deps.end(job.id, 'running', { status: 'failed', error }, now)
      return true
    }
    const extras = { queuedAt: entry.queuedAt, native: run, token, secrets }
    this.running.set(job.id, launcher.launch(job, 'job', site, placement, now, extras))
    return true
  }

  /**
   * The values of the secrets a job declares, opened for this hand-over. One deleted since the
   * job was submitted, or one this host's key cannot open, fails the job with that reason (its
   * attempt is stopped before anything reached the site).
   */
  private openSecrets(job: JobRecord): Promise<SecretValues | undefined> | undefined {
    if (job.secrets.length === 0) return undefined
    const opener = this.deps.secrets
    const opened: Promise<Opened> = opener
      ? opener.open(job.namespace, job.secrets).catch(() => unreadable)
      : Promise.resolve(unreadable)
    return opened.then((result) => {
      if (result.ok) return result.values
      const attempt = this.running.get(job.id)
      if (attempt && this.settle(attempt)) {
        attempt.placement.cancel(attempt, 'cancelled', Date.now())
        this.deps.end(job.id, 'running', { status: 'failed', error: result.error }, Date.now())
      }
      return undefined
    })
  }

  /** The site reported on its attempt; false when that attempt is no longer the job's. */
  reported(attempt: Attempt, report: Report, now: number): boolean {
    if (!this.settle(attempt)) return false
    const { stderr, exit_code, executed_by } = report
    if (report.type === 'result') {
      const { result, output } = report
      this.deps.end(
        attempt.id,
        'running',
        { status: 'completed', result, output, stderr, exit_code, executed_by },
        now,
      )
    } else if (report.retryable) {
      const why = `the volunteer failed to run it: ${report.error.message}`
      this.retryOrFail(attempt.id, () => why, now)
    } else {
      const { error, output = null } = report
      this.deps.end(
        attempt.id,
        'running',
        { status: 'failed', error, output, stderr, exit_code, executed_by },
        now,
      )
    }
    return true
  }

  /**
   * Its site went away (or never got it): the job goes back in the queue. A site that refused it
   * outright (`refused`) never ran it, so that start is not counted against its retries.
   */
  lost(attempt: Attempt, now: number, refused = false): void {
    if (!this.settle(attempt)) return
    if (refused && this.deps.store.uncount(attempt.id)) return this.requeue(attempt.id, now)
    this.retryOrFail(attempt.id, () => 'the volunteer running it disconnected', now)
  }

  /**
   * The deadline passed with no report: the site failed, not the guest (an honest one reports
   * TIMEOUT itself when its sandbox stops the guest), so it is told to stop and the job goes back
   * in the queue (attempts + 1). False when the attempt had ended.
   */
  timedOut(attempt: Attempt, now: number): boolean {
    if (this.running.get(attempt.id) !== attempt) return false
    attempt.placement.cancel(attempt, 'timeout', now)
    this.settle(attempt)
    this.retryOrFail(attempt.id, (job) => this.silence(job.timeout_ms), now)
    return true
  }

  /** The job is being cancelled: its site is told to stop. */
  cancel(id: string, now: number): void {
    const attempt = this.running.get(id)
    if (!attempt) return
    attempt.placement.cancel(attempt, 'cancelled', now)
    this.settle(attempt)
  }

  /** The job ended: its attempt (token, progress) goes. */
  forget(id: string): void {
    const attempt = this.running.get(id)
    if (attempt) this.settle(attempt)
  }

  /** An attempt that kept running across a restart (its site's socket survived). */
  reattach(attempt: Attempt): void {
    this.running.set(attempt.id, attempt)
  }

  jobToken(id: string): { attempt: number; token: string } | undefined {
    const attempt = this.running.get(id)
    return attempt?.token === undefined
      ? undefined
      : { attempt: attempt.attempt, token: attempt.token }
  }

  /** The secret values the running attempt of a job was sent, once they were opened. */
  secretsOf(id: string): SecretValues | undefined {
    return this.running.get(id)?.secrets
  }

  progressOf(id: string): Progress | undefined {
    return this.running.get(id)?.progress
  }

  private settle(attempt: Attempt): boolean {
    if (this.running.get(attempt.id) !== attempt) return false
    attempt.done = true
    this.running.delete(attempt.id)
    return true
  }

  private retryOrFail(id: string, why: (job: JobRecord) => string, now: number): void {
    const job = this.deps.store.get(id)
    if (!job || job.status !== 'running') return
    if (job.attempts > job.max_retries) {
      const error: JobError = {
        code: 'MAX_RETRIES',
        message: `gave up after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}: ${why(job)}`,
      }
      this.deps.end(id, 'running', { status: 'failed', error }, now)
      return
    }
    this.requeue(id, now, job)
  }

  private requeue(id: string, now: number, job = this.deps.store.get(id)): void {
    if (!job || !this.deps.store.requeue(id)) return
    this.deps.counts.moved('running', 'pending', job.namespace)
    this.deps.requeued(pendingEntry(job, now), now)
  }

  /** Why a job was taken back from a site that said nothing by its deadline. */
  private silence(timeoutMs: number): string {
    return `the volunteer running it sent no report within its ${formatSeconds(timeoutMs)} timeout and ${formatSeconds(this.deps.timeoutGraceMs)} of grace`
  }
}

/** 32 random bytes as hex: unguessable, and only ever valid for one attempt. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
