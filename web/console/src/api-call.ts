/**
 * How the console calls the API: the typed client generated from the OpenAPI document
 * (shared/client/), with this tab's token, and every failure as an `ApiError` with the server's
 * code, so the pages read data or one kind of error.
 */
import { createZerverlessClient, type ZerverlessClient } from '../../../shared/client/client'
import { storedToken } from './session'

/** An answer that was not 2xx, or no answer at all (code `NETWORK`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Told when the server answers 401: the token is missing, expired or revoked. */
let onUnauthorized: () => void = () => {}
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler
}

async function reach(request: Request): Promise<Response> {
  if (!request.headers.has('accept')) request.headers.set('accept', 'application/json')
  try {
    return await fetch(request)
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the orchestrator did not answer: ${String(err)}`)
  }
}

/**
 * A client for one call: with `token` given (sign-in's probe) that one, else this tab's, which
 * may change between calls. A 401 on the tab's token is told to `whenUnauthorized`.
 */
export function client(token?: string | null): ZerverlessClient {
  const own = token === undefined
  const made = createZerverlessClient({
    url: location.origin,
    token: (own ? storedToken() : token) ?? undefined,
    fetch: reach,
  })
  if (own)
    made.use({
      onResponse: ({ response }) => {
        if (response.status === 401) onUnauthorized()
      },
    })
  return made
}

interface Answer<T> {
  data?: T
  error?: unknown
  response: Response
}

/** The data of an answer (undefined for a 204), or its error as an ApiError. */
export async function dataOf<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call
  if (response.ok) return data as T
  const body = (typeof error === 'object' && error !== null ? error : {}) as {
    error?: unknown
    code?: unknown
  }
  const url = new URL(response.url || location.href)
  throw new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
    typeof body.error === 'string'
      ? body.error
      : `${url.pathname}${url.search} answered ${response.status}`,
  )
}
