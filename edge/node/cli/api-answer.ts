/**
 * How the CLI turns the typed client's answers into values or CliErrors, so that every verb keeps
 * its error lines and exit codes: the server's own `{error, code}`, or the CLI's codes for a
 * server that is not there (UNREACHABLE) or not ours (HTTP_ERROR, BAD_RESPONSE).
 */
import { CliError } from './cli-error'

/** What openapi-fetch answers: data on 2xx, the parsed error body otherwise. */
export interface Answer<T> {
  data?: T
  error?: unknown
  response: Response
}

/** A fetch that says UNREACHABLE, with what to do, when no server answers at `base`. */
export function reachingFetch(base: string): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await fetch(request)
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      throw new CliError(
        'UNREACHABLE',
        `cannot reach ${base} (${cause?.code ?? cause?.message ?? (err as Error).message}); is the server running? set --url or ZERVERLESS_URL`,
      )
    }
  }
}

/** An error answer as a CliError carrying the server's own message and code. */
export function failureOf(error: unknown, response: Response): CliError {
  if (typeof error === 'object' && error !== null) {
    const { error: message, code } = error as { error?: unknown; code?: unknown }
    if (typeof message === 'string' && typeof code === 'string')
      return new CliError(code, message, response.status)
  }
  const text = typeof error === 'string' ? error : error === undefined ? '' : JSON.stringify(error)
  return new CliError('HTTP_ERROR', text.slice(0, 500) || response.statusText, response.status)
}

/**
 * The data of a call, or its error thrown. A 2xx answer that is not JSON (another server at
 * `--url`) is BAD_RESPONSE rather than a parser's stack.
 */
export async function dataOf<T>(what: string, call: Promise<Answer<T>>): Promise<T> {
  const answer = await settled(what, call)
  if (!answer.response.ok) throw failureOf(answer.error, answer.response)
  if (answer.data === undefined) throw badResponse(what, 'no body')
  return answer.data
}

/** A call whose answer carries nothing the CLI reads (a delete). */
export async function doneOf(what: string, call: Promise<Answer<unknown>>): Promise<void> {
  const answer = await settled(what, call)
  if (!answer.response.ok) throw failureOf(answer.error, answer.response)
}

/** The answer of a call, whatever its status; a body that is not JSON is BAD_RESPONSE. */
export async function settled<T>(what: string, call: Promise<Answer<T>>): Promise<Answer<T>> {
  try {
    return await call
  } catch (err) {
    if (err instanceof CliError) throw err
    throw badResponse(what, err instanceof Error ? err.message : String(err))
  }
}

/** An answer whose shape is not the one the CLI needs. */
export function badResponse(what: string, why: string): CliError {
  return new CliError('BAD_RESPONSE', `unexpected answer from ${what}: ${why}`)
}
