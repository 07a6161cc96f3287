/**
 * One redundant job's rounds: the answers its copies gave, the volunteers that may not get it
 * again, and what follows each answer or loss: wait for the copies still out, start a new round
 * when this one can no longer agree, or end the job (agreed, NO_QUORUM, or MAX_RETRIES).
 */
import type { JobError } from '../../../shared/protocol/job'
import type { StoredAnswer } from '../store/answer-store'
import type { Finish } from '../store/job-store'
import { decide, quorumOf } from './quorum'

export interface Answer {
  /** Who answered, for distinctness (Site.key). */
  key: string
  /** The key its answer is judged under (Site.standing; may be `key`). */
  standing: string
  attempt: number
  answer: string
  finish: Finish
}

/** What the job does next. */
export type Outcome =
  /** It ends so; `agreed` is the answer a majority gave, that every answer is judged against. */
  | { kind: 'end'; end: Finish; agreed?: string }
  /** Undecided: the copies out answer, and the waiting ones are sent. */
  | { kind: 'wait' }
  /** This round can no longer agree: its copies stop, and a new round goes out. */
  | { kind: 'next-round' }

export class RedundancyTally {
  /** The round (the job's `attempts`). */
  round: number
  /** Copies of this round not yet sent. */
  waiting: number
  /** Every answer of every round. */
  readonly answers: Answer[] = []
  /** Volunteers that answered or lost a copy: never given this job again. */
  readonly excluded = new Set<string>()
  private losses = 0

  /** A new job, or one found after a restart with the answers stored so far. */
  constructor(
    readonly copies: number,
    private readonly maxRetries: number,
    attempts: number,
    stored: readonly StoredAnswer[],
  ) {
    for (const row of stored) {
      if (row.state === 'running') continue
      this.excluded.add(row.volunteer)
      if (row.state === 'lost') this.losses++
      else if (row.answer !== null && row.finish !== null)
        this.answers.push({
          key: row.volunteer,
          standing: row.standing ?? row.volunteer,
          attempt: row.attempt,
          answer: row.answer,
          finish: row.finish,
        })
    }
    this.round = Math.max(attempts, 1)
    this.waiting = copies - this.answers.filter((a) => a.attempt === this.round).length
  }

  /** A copy answered; `running`: copies of the round still out. */
  answered(answer: Answer, running: number): Outcome {
    this.excluded.add(answer.key)
    this.answers.push(answer)
    return this.decide(running)
  }

  /** A copy was lost (its volunteer left, failed, or fell silent). */
  lost(key: string, attempt: number, why: string, running: number): Outcome {
    this.excluded.add(key)
    this.losses++
    if (this.losses > this.maxRetries) {
      const lost = `${this.losses} cop${this.losses === 1 ? 'y' : 'ies'}`
      const error: JobError = {
        code: 'MAX_RETRIES',
        message: `gave up after losing ${lost}: ${why}`,
      }
      return { kind: 'end', end: { status: 'failed', error } }
    }
    if (attempt !== this.round) return this.decide(running)
    this.waiting++
    return { kind: 'wait' }
  }

  /** Decides the current round from its answers so far. */
  decide(running: number): Outcome {
    const round = this.answers.filter((a) => a.attempt === this.round)
    const verdict = decide(
      round.map((a) => a.answer),
      this.copies,
      running + this.waiting,
    )
    if (verdict.kind === 'agreed') {
      const winner = round.find((a) => a.answer === verdict.answer) as Answer
      return { kind: 'end', end: winner.finish, agreed: verdict.answer }
    }
    if (verdict.kind === 'undecided') return { kind: 'wait' }
    // Split: no answer can win this round. Try again with volunteers that have not answered.
    if (this.round > this.maxRetries) {
      const needed = quorumOf(this.copies)
      const error: JobError = {
        code: 'NO_QUORUM',
        message: `no ${needed} of ${this.copies} volunteers agreed on a result in ${this.round} round${this.round === 1 ? '' : 's'}`,
      }
      return { kind: 'end', end: { status: 'failed', error } }
    }
    return { kind: 'next-round' }
  }

  /** The next round: every copy to send again (the caller stopped this round's). */
  nextRound(): void {
    this.round++
    this.waiting = this.copies
  }
}
