/**
 * Every request gets an id (the caller's `x-request-id` when it is a sane token, else a new UUID),
 * echoed in the response and in one JSON log line, and is counted for `/metrics`.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { Logger, LogLevel } from './logger'
import type { Metrics } from './metrics'

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's id, as logged and sent back in `x-request-id`. */
    requestId: string
    /** The host's logger, for code that has a context (error rendering, say). */
    logger: Logger
  }
}

export const REQUEST_ID_HEADER = 'x-request-id'
/** Access lines are debug-level: at info, every request would be a write on the hot path. */
const REQUEST_LOG_LEVEL: LogLevel = 'debug'

const SANE_ID = /^[A-Za-z0-9._-]{1,64}$/

/** The caller's id when it is safe to log and echo (no spaces, quotes or control characters). */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_ID.test(header) ? header : crypto.randomUUID()
}

export function requestLog(logger: Logger, metrics?: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const logging = logger.enabled(REQUEST_LOG_LEVEL)
    const started = logging ? performance.now() : 0
    const id = requestIdFrom(c.req.header(REQUEST_ID_HEADER))
    c.set('requestId', id)
    c.set('logger', logger)
    await next()
    const status = c.res.status
    setRequestId(c, id)
    metrics?.request(c.req.method, status)
    if (logging)
      logger.log(REQUEST_LOG_LEVEL, 'request', {
        request_id: id,
        method: c.req.method,
        path: c.req.path,
        status,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      })
  }
}

function setRequestId(c: Context, id: string): void {
  try {
    c.res.headers.set(REQUEST_ID_HEADER, id)
  } catch {
    // Immutable headers (a response passed on from fetch): copy it, unless it is an upgrade.
    if (c.res.status === 101) return
    c.res = new Response(c.res.body, c.res)
    c.res.headers.set(REQUEST_ID_HEADER, id)
  }
}
