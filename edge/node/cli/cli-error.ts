/** The CLI's errors are values with a code: printed as one line on stderr, never as a stack. */

/** Exit codes every verb shares; `run` and `jobs wait` add the job's own (see job-exit.ts). */
export const EXIT = {
  ok: 0,
  /** The job (or the call) ran and failed. */
  failed: 1,
  /** The request could not be made or was refused: bad input, auth, not found, unreachable. */
  error: 2,
  /** The wait ended before the job did (as `timeout(1)` says it). */
  unfinished: 124,
} as const

/** A failure the user can act on: the server's `{error, code}`, or the CLI's own. */
export class CliError extends Error {
  override name = 'CliError'

  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status, when a server answered. */
    readonly status?: number,
  ) {
    super(message)
  }
}

/** The one line printed for an error: what went wrong, then its code. */
export function describeError(err: unknown): string {
  if (err instanceof CliError)
    return `error: ${err.message} (${err.code}${err.status ? `, HTTP ${err.status}` : ''})`
  const code = (err as NodeJS.ErrnoException).code
  return `error: ${err instanceof Error ? err.message : String(err)}${typeof code === 'string' ? ` (${code})` : ''}`
}
