/**
 * How large a request body may be. A declared Content-Length over the route's limit is refused at
 * once, unread; a body without one (chunked) is counted as it is read (request-body.ts), which
 * happens only once the caller was accepted. So refusing an oversized body never means reading
 * it, and nobody's body is read before their token is checked.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HttpError } from '../http-error'

const KEY = 'zv-body-limit'

export interface BodyLimit {
  maxBytes: number
  /** Said after the limit in the 413's message (where to send larger things). */
  hint: string
}

/** Sets each request's limit (`undefined`: the route's store enforces its own) and checks it. */
export function bodyLimits(limitOf: (c: Context) => BodyLimit | undefined): MiddlewareHandler {
  return async (c, next) => {
    const limit = limitOf(c)
    if (limit) {
      c.set(KEY as never, limit as never)
      const declared = c.req.header('content-length')
      if (
        declared !== undefined &&
        !c.req.header('transfer-encoding') &&
        Number(declared) > limit.maxBytes
      )
        throw tooLarge(limit)
    }
    await next()
  }
}

export function bodyLimitOf(c: Context): BodyLimit | undefined {
  return c.get(KEY as never) as BodyLimit | undefined
}

/** The unread rest of the body makes the connection unusable: the client is told not to reuse it. */
export function tooLarge(limit: BodyLimit): HttpError {
  return new HttpError(
    413,
    'PAYLOAD_TOO_LARGE',
    `the request body is larger than ${limit.maxBytes} bytes${limit.hint}`,
    { headers: { connection: 'close' } },
  )
}
