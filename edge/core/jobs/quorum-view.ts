/** What `GET /api/jobs/{id}` shows of a redundant job's answers. */
import type { StoredAnswer } from '../store/answer-store'
import type { JobRecord, QuorumView } from './job-record'
import { answerOf, quorumOf } from './quorum'

/** Answers of all rounds; `agreeing`: those matching its result, or the largest group so far. */
export function quorumView(
  job: JobRecord,
  stored: readonly StoredAnswer[],
  running: number,
): QuorumView {
  const answered = stored.filter((a) => a.state === 'answered')
  let agreeing = 0
  if (job.status === 'completed' || job.status === 'failed') {
    const agreed = job.error
      ? answerOf({ error: job.error })
      : answerOf({ result: job.result ?? null })
    agreeing = answered.filter((a) => a.answer === agreed).length
  } else {
    const counts = new Map<string | null, number>()
    for (const a of answered.filter((a) => a.attempt === job.attempts))
      counts.set(a.answer, (counts.get(a.answer) ?? 0) + 1)
    agreeing = Math.max(0, ...counts.values())
  }
  return { needed: quorumOf(job.redundancy), answers: answered.length, agreeing, running }
}
