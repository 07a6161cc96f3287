/** One error type for the API and one renderer: `{"error": "<what to do>", "code": "<CODE>"}`. */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export class HttpError extends Error {
  override name = 'HttpError'

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

export const badRequest = (message: string, field?: string) =>
  new HttpError(400, 'INVALID_REQUEST', message, field ? { field } : {})

export function renderError(err: Error, c: Context): Response {
  if (err instanceof HttpError) {
    const { headers, ...extra } = err.extra as { headers?: Record<string, string> }
    return c.json({ error: err.message, code: err.code, ...extra }, err.status, headers)
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    return c.json(
      {
        error: err.message || 'request failed',
        code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'HTTP_ERROR',
      },
      status,
    )
  }
  // A bug of ours: log it for the operator, never show internals to the caller.
  console.error(`unhandled error on ${c.req.method} ${c.req.path}:`, err)
  return c.json(
    { error: 'internal error; the operator can find details in the server log', code: 'INTERNAL' },
    500,
  )
}

export function renderNotFound(c: Context): Response {
  return c.json({ error: `no route for ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404)
}
