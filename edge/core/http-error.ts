/** One error type for the API and one renderer: `{"error": "<what to do>", "code": "<CODE>"}`. */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from './observability/logger'

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
  // A path with malformed percent-encoding (`%E0%A4%A`): the caller's mistake, wherever it is decoded.
  if (err instanceof URIError)
    return c.json({ error: 'the path has malformed percent-encoding', code: 'INVALID_PATH' }, 400)
  const logger: Logger | undefined = c.get('logger')
  // The client hung up, or was cut off by the request timeout, before its body arrived: no bug of
  // ours, and nobody left to read the answer.
  if (clientGone(err, c)) {
    logger?.info('request aborted by the client', {
      request_id: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
    })
    return c.json(
      { error: 'the connection closed before the request arrived', code: 'REQUEST_ABORTED' },
      400,
    )
  }
  // A bug of ours: log it for the operator, never show internals to the caller.
  if (logger)
    logger.error('unhandled error', {
      request_id: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      error: err,
    })
  else console.error(`unhandled error on ${c.req.method} ${c.req.path}:`, err)
  return c.json(
    { error: 'internal error; the operator can find details in the server log', code: 'INTERNAL' },
    500,
  )
}

/** Node rejects a body read with ECONNRESET ("aborted") when the socket closes under it. */
function clientGone(err: Error, c: Context): boolean {
  return (err as { code?: unknown }).code === 'ECONNRESET' || c.req.raw.signal?.aborted === true
}

export function renderNotFound(c: Context): Response {
  return c.json({ error: `no route for ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404)
}
