/**
 * Machine-readable error codes shared by the API, the volunteer protocol and the runtimes.
 * Codes are stable; messages are for people.
 */

/** Why a job failed. Volunteers report these; the orchestrator adds its own (TIMEOUT, MAX_RETRIES). */
export const JOB_ERROR_CODES = [
  'GUEST_ERROR',
  'SYNTAX_ERROR',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'STACK_OVERFLOW',
  'CANCELLED',
  'RESULT_NOT_JSON',
  'RESULT_TOO_LARGE',
  'RUNTIME_UNAVAILABLE',
  'WORKER_CRASHED',
  'MAX_RETRIES',
  /** A redundant job's copies never reached a majority on one answer within its retries. */
  'NO_QUORUM',
  // Native jobs (standalone services on a runner):
  /** The process exited with a non-zero code (the job's exit_code says which). */
  'PROCESS_EXITED',
  /** Exit code 127: the executable was not found. */
  'EXECUTABLE_NOT_FOUND',
  /** The process could not start: working directory, run_as_user, permissions. */
  'PROCESS_FAILED_TO_START',
  /** The runner no longer has the executable it registered, or it changed. */
  'EXECUTABLE_CHANGED',
  /** The runner's owner does not allow that executable there (zerverless-runner --allow-path). */
  'PATH_NOT_ALLOWED',
  /** An input taken from an earlier job's output could not be fetched, or arrived changed. */
  'INPUT_UNAVAILABLE',
  /** A secret the work declares was deleted after it was submitted or deployed. */
  'SECRET_NOT_FOUND',
  /** The orchestrator could not open a declared secret (no key, or a different key). */
  'SECRETS_UNAVAILABLE',
] as const

/** Codes an orchestrator sends in protocol `error` frames. */
export const PROTOCOL_ERROR_CODES = [
  'BAD_FRAME',
  'PROTOCOL_VERSION',
  'HELLO_REQUIRED',
  'UNKNOWN_JOB',
  'TOO_MANY_BAD_FRAMES',
  'HELLO_TIMEOUT',
  'HEARTBEAT_TIMEOUT',
  /** Jobs it held passed their deadlines with no report from it, twice in a row. */
  'DEADLINE_MISSED',
  'UNAUTHORIZED',
  /** More messages a second than the orchestrator allows one volunteer (see limits/). */
  'RATE_LIMITED',
] as const
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number]

/** Longest message and traceback a job error carries (the protocol refuses longer ones). */
export const MAX_ERROR_MESSAGE = 8 * 1024
export const MAX_TRACEBACK = 32 * 1024

/** Shortens text to `max` characters, keeping the start and the end, which matter most in tracebacks. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  const marker = `\n… ${text.length - max} characters cut …\n`
  const keep = Math.max(0, max - marker.length)
  const head = Math.ceil(keep / 2)
  return text.slice(0, head) + marker + text.slice(text.length - (keep - head))
}
