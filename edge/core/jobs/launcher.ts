/**
 * Starting an attempt of a job on a site: its deadline (the site's queue ahead of it, the timeout,
 * the grace) is set now, its task reaches the site once the start is durable, so a volunteer only
 * ever hears of an attempt that is on disk and a crash cannot lose count. The deadlines of jobs and
 * copies are kept here, soonest first (function calls keep their own: see invocations.ts).
 */
import type { NativeRun } from '../../../shared/protocol/frames'
import type { Attempt, Placement, Site } from '../placement/placement'
import type { Task } from '../placement/work'
import type { SecretValues } from '../secrets/secret-service'
import { MinHeap } from '../util/min-heap'
import type { JobRecord } from './job-record'

export interface LaunchSettings {
  /** Extra time past `timeout_seconds` before the orchestrator fails a job itself. */
  timeoutGraceMs: number
  /** More for native runs: a runner stops a process gracefully, then uploads its outputs. */
  nativeGraceMs: number
  /** Resolves when the writes so far are durable (see Sql.durable). */
  durable: (urgent?: boolean) => Promise<void>
  /** A job's source by its hash. */
  codeOf: (hash: string) => string
}

/** What an attempt carries besides its job. */
export interface LaunchExtras {
  queuedAt?: number | undefined
  /** Native jobs: the run's description, and the token it shows for its outputs. */
  native?: NativeRun | undefined
  token?: string | undefined
  /**
   * The values of the secrets it declares, being opened: the task leaves once they are (and its
   * start is durable), carrying them; undefined (they could not be opened) holds it back for
   * good, and whoever opened them fails the job.
   */
  secrets?: Promise<SecretValues | undefined> | undefined
}

export class Launcher {
  private readonly deadlines = new MinHeap<Attempt>((a, b) => a.deadline < b.deadline)

  constructor(private readonly settings: LaunchSettings) {}

  launch(
    job: JobRecord,
    kind: 'job' | 'copy',
    site: Site,
    placement: Placement,
    now: number,
    { queuedAt, native, token, secrets }: LaunchExtras = {},
  ): Attempt {
    const grace = this.settings.timeoutGraceMs + (native ? this.settings.nativeGraceMs : 0)
    const attempt: Attempt = {
      id: job.id,
      attempt: job.attempts,
      kind,
      site,
      placement,
      namespace: job.namespace,
      untrustedDb: job.untrusted_db,
      // A job queued behind others on the site starts later: its deadline allows for that.
      deadline: now + site.queueWait(now) + job.timeout_ms + grace,
      queuedAt,
      token,
      done: false,
    }
    this.deadlines.push(attempt)
    const task: Task = {
      job_type: job.job_type,
      namespace: job.namespace,
      code: this.settings.codeOf(job.code_hash),
      input_data: job.input_data,
      timeout_ms: job.timeout_ms,
      ...(job.wasm_cid && { wasm_cid: job.wasm_cid, args: job.args ?? [], env: job.env ?? {} }),
      ...(native && { native }),
    }
    const durable = this.settings.durable(true)
    placement.run(attempt, task, secrets ? withSecrets(durable, secrets, attempt, task) : durable)
    return attempt
  }

  /** Watches the deadline of an attempt taken back after a restart. */
  watch(attempt: Attempt): void {
    this.deadlines.push(attempt)
  }

  /** The earliest deadline watched (it may belong to an attempt that already ended). */
  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.deadline
  }

  /** Takes out the attempts still running whose deadline is `now` or earlier, soonest first. */
  *expired(now: number): Generator<Attempt> {
    for (let top = this.deadlines.peek(); top && top.deadline <= now; top = this.deadlines.peek()) {
      this.deadlines.pop()
      if (!top.done) yield top
    }
  }
}

/**
 * Resolves once the start is durable and the secrets are open, with the values in the task (the
 * frame is built from it then) and on the attempt (its reports are redacted of them). Values that
 * could not be opened never resolve it: nothing is sent, and the job fails elsewhere.
 */
async function withSecrets(
  durable: Promise<void>,
  secrets: Promise<SecretValues | undefined>,
  attempt: Attempt,
  task: Task,
): Promise<void> {
  const [, values] = await Promise.all([durable, secrets])
  if (!values) return new Promise<void>(() => {})
  attempt.secrets = values
  task.secrets = { ...values }
}
