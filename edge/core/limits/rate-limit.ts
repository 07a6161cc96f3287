/**
 * Per-client rate limits as Hono middleware: a request with `Authorization: Bearer` spends its
 * token's bucket, any other its address's; an empty bucket answers `429 RATE_LIMITED` with
 * `Retry-After`. Tokens are kept only as hashes. Token requests the API turns down with 401 cost
 * their address, so that making up tokens does not get a client a fresh bucket each time.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { addressKey, isLoopback } from './client-address'
import { RateLimiter } from './rate-limiter'

/** Which bucket refused a request: the metrics hook's label. */
export type RateLimitScope = 'ip' | 'token'

export interface RateLimitOptions {
  /** Requests a second per client; 0 turns the middleware into a pass-through. */
  rate: number
  burst: number
  /** Limit loopback clients too (see limit-settings.ts for why they are spared by default). */
  limitLoopback: boolean
  /** The client's address as the host knows it; undefined when it cannot tell (not limited). */
  clientAddress: (c: Context) => string | undefined
  /** Hex digest of a token (SHA-256). */
  hash: (text: string) => string | Promise<string>
  /** Called on every refusal; the metrics counter hooks in here. */
  onRateLimited?: (scope: RateLimitScope) => void
  now?: () => number
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  if (options.rate <= 0 || options.burst <= 0) return (_c, next) => next()
  const limiter = new RateLimiter({ rate: options.rate, burst: options.burst })
  const now = options.now ?? (() => Date.now())

  const refuse = (c: Context, scope: RateLimitScope, retryAfterSeconds: number) => {
    options.onRateLimited?.(scope)
    const who = scope === 'token' ? 'this token' : 'this address'
    return c.json(
      {
        error: `too many requests from ${who}: at most ${options.rate} a second (bursts of ${options.burst}); retry in ${retryAfterSeconds} s`,
        code: 'RATE_LIMITED',
      },
      429,
      { 'retry-after': String(retryAfterSeconds) },
    )
  }

  return async (c, next) => {
    const address = options.clientAddress(c)
    if (!address || (!options.limitLoopback && isLoopback(address))) return next()
    const ip = `ip:${addressKey(address)}`
    const token = bearerToken(c.req.header('authorization'))
    if (token === undefined) {
      const verdict = limiter.take(ip, now())
      return verdict.ok ? next() : refuse(c, 'ip', verdict.retryAfterSeconds)
    }
    const failures = `auth:${addressKey(address)}`
    const at = now()
    if (!limiter.has(failures, at)) return refuse(c, 'ip', limiter.retryAfterSeconds(failures, at))
    const verdict = limiter.take(`token:${await options.hash(token)}`, at)
    if (!verdict.ok) return refuse(c, 'token', verdict.retryAfterSeconds)
    await next()
    if (c.res.status === 401) limiter.take(failures, now())
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}
