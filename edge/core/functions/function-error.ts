/**
 * A function's failure in a function's words. The sandboxes report every failure the way a job's
 * reads ("job exceeded its timeout of 1 s"); a caller of `/{user}/{path}` ran no job, so the
 * orchestrator's own wording is rewritten here, where a call's outcome becomes its answer. What the
 * guest itself threw is never touched: only messages the sandbox wrote.
 */
import type { JobError } from '../../../shared/protocol/job'

/** Codes whose message is the guest's own text (its exception), not the sandbox's. */
const GUEST_WORDED = new Set<string>(['GUEST_ERROR', 'SYNTAX_ERROR'])

/**
 * The sandbox's own messages under those codes (runtime/python-runtime.ts, quickjs-values.ts,
 * wasi-runtime.ts): matched whole, so a guest's "the job queue is empty" keeps its words.
 */
const SANDBOX_WORDED = [
  /^the job (ended|brought) the Python interpreter/,
  /^the job replaced what reports its result$/,
  /^Error: the promise the job evaluated to never settled$/,
  /^a wasm job needs a module$/,
]

/** "job" → "function", "jobs" → "functions", keeping a capital. */
function reword(message: string): string {
  return message.replace(/\b([Jj])ob(s?)\b/g, (_, j: string, s: string) =>
    j === 'J' ? `Function${s}` : `function${s}`,
  )
}

/** The error as a function's caller and its log see it. */
export function asFunctionError(error: JobError): JobError {
  const sandboxWorded =
    !GUEST_WORDED.has(error.code) || SANDBOX_WORDED.some((pattern) => pattern.test(error.message))
  if (!sandboxWorded) return error
  const message = reword(error.message)
  return message === error.message ? error : { ...error, message }
}
