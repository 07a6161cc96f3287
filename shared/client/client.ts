/**
 * The typed client of the Zerverless API: openapi-fetch over the generated types (generated/api-types.ts),
 * so a call's path, parameters, body and answer are checked against the OpenAPI document.
 */
import createClient, { type Client } from 'openapi-fetch'
import type { components, paths } from './generated/api-types'

/** The API's error body: `{"error", "code"}` (some add `field`). */
type ApiErrorBody = components['schemas']['Error']

/** A client of one orchestrator. */
export type ZerverlessClient = Client<paths>

export interface ClientOptions {
  /** The orchestrator's base URL, e.g. `http://127.0.0.1:8000`. */
  url: string
  /** Sent as `Authorization: Bearer <token>` when given (auth on). */
  token?: string | undefined
  /** Another fetch (a test's, a Worker's service binding). */
  fetch?: (request: Request) => Promise<Response>
}

/**
 * A client: `await client.GET('/api/jobs/{id}', { params: { path: { id } } })` answers
 * `{ data, error, response }`, typed by the document.
 */
export function createZerverlessClient({ url, token, fetch }: ClientOptions): ZerverlessClient {
  return createClient<paths>({
    baseUrl: url.replace(/\/+$/, ''),
    ...(token && { headers: { Authorization: `Bearer ${token}` } }),
    ...(fetch && { fetch }),
    pathSerializer: apiPath,
  })
}

/**
 * A path with its parameters filled in, each encoded, except that `{path}` keeps its slashes: it
 * is a function's or a file's path under its namespace (`api/greet`), one router wildcard.
 */
function apiPath(pathname: string, params: Record<string, unknown>): string {
  return pathname.replace(/\{([^}]+)\}/g, (match, name: string) => {
    const value = params[name]
    if (value === undefined || value === null) return match
    const text = String(value)
    return name === 'path'
      ? text.split('/').map(encodeURIComponent).join('/')
      : encodeURIComponent(text)
  })
}

/** An API error as a value: the HTTP status, the API's code and its message. */
export class ZerverlessError extends Error {
  override name = 'ZerverlessError'

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The field at fault, when the API named one. */
    readonly field?: string,
  ) {
    super(message)
  }
}

/**
 * The error of an answer, or undefined for a success: what the API said (`{"error", "code"}`),
 * or, for an answer that is not the API's (a proxy's page), `HTTP_<status>` with its text.
 */
export function errorOf(answer: {
  error?: unknown
  response: Response
}): ZerverlessError | undefined {
  const { error, response } = answer
  if (response.ok) return undefined
  if (isErrorBody(error))
    return new ZerverlessError(response.status, error.code, error.error, error.field)
  const text = typeof error === 'string' && error !== '' ? error : response.statusText
  return new ZerverlessError(response.status, `HTTP_${response.status}`, text)
}

/** The data of a successful answer; an error answer is thrown as a ZerverlessError. */
export function orThrow<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  const error = errorOf(answer)
  if (error) throw error
  return answer.data as T
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiErrorBody).error === 'string' &&
    typeof (value as ApiErrorBody).code === 'string'
  )
}
