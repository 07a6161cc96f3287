/**
 * How the copies of a redundant job agree: each answer is reduced to canonical JSON (object keys
 * sorted), and a strict majority of the job's copies must give the same one.
 */
import type { JsonValue } from '../../../shared/protocol/json'
import type { JobError } from '../../../shared/protocol/job'

/** JSON with object keys in sorted order, so `{"a":1,"b":2}` and `{"b":2,"a":1}` agree. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`
}

/**
 * What is compared: the result, or a guest error's code and message (a deterministic error that
 * a majority reports is the job's failure). Output (stdout) is not compared: it is a log.
 */
export function answerOf(outcome: { result: JsonValue } | { error: JobError }): string {
  return 'result' in outcome
    ? `result:${canonicalJson(outcome.result)}`
    : `error:${canonicalJson({ code: outcome.error.code, message: outcome.error.message })}`
}

/** Identical answers needed out of `copies`: a strict majority (2 of 2, 2 of 3, 3 of 4, 3 of 5). */
export function quorumOf(copies: number): number {
  return Math.floor(copies / 2) + 1
}

export type Verdict =
  | { kind: 'agreed'; answer: string }
  | { kind: 'undecided' }
  /** No answer can reach the quorum any more, whatever the outstanding copies say. */
  | { kind: 'split' }

/** Decides a round from its answers so far and the copies still to answer. */
export function decide(answers: readonly string[], copies: number, outstanding: number): Verdict {
  const needed = quorumOf(copies)
  const counts = new Map<string, number>()
  let best = 0
  for (const answer of answers) {
    const n = (counts.get(answer) ?? 0) + 1
    counts.set(answer, n)
    if (n >= needed) return { kind: 'agreed', answer }
    best = Math.max(best, n)
  }
  return best + outstanding >= needed ? { kind: 'undecided' } : { kind: 'split' }
}
