/**
 * What each volunteer answered for a redundant job, one row per (job, volunteer, round): enough to
 * decide the quorum again after a restart and to judge every answer once the job has a result.
 */
import type { Finish } from './job-store'
import type { Sql } from './sql'

/** `running`: a copy was sent (a host that keeps sockets across a restart cancels it). */
type AnswerState = 'running' | 'answered' | 'lost'

export interface StoredAnswer {
  /** Who answered, for distinctness (jobs/reputation.ts `volunteerKey`). */
  volunteer: string
  /**
   * The key its answer is judged under (`reputationKey`), when that is not `volunteer`; rows
   * stored before migration 7 have none.
   */
  standing?: string | null
  attempt: number
  state: AnswerState
  /** Canonical JSON of what it answered (see jobs/quorum.ts); null for a lost or running copy. */
  answer: string | null
  finish: Finish | null
}

export class AnswerStore {
  constructor(private readonly sql: Sql) {}

  put(jobId: string, row: StoredAnswer, now: number): void {
    this.sql.run(
      `INSERT INTO job_answers (job_id, volunteer, attempt, state, answer, finish, created_at, standing)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, volunteer, attempt) DO UPDATE SET
         state = excluded.state, answer = excluded.answer, finish = excluded.finish,
         standing = excluded.standing`,
      jobId,
      row.volunteer,
      row.attempt,
      row.state,
      row.answer,
      row.finish === null ? null : JSON.stringify(row.finish),
      now,
      row.standing ?? null,
    )
  }

  list(jobId: string): StoredAnswer[] {
    return this.sql
      .all<{
        volunteer: string
        attempt: number
        state: AnswerState
        answer: string | null
        finish: string | null
        standing: string | null
      }>(
        `SELECT volunteer, attempt, state, answer, finish, standing FROM job_answers
         WHERE job_id = ? ORDER BY attempt, created_at`,
        jobId,
      )
      .map((r) => ({ ...r, finish: r.finish === null ? null : (JSON.parse(r.finish) as Finish) }))
  }
}
