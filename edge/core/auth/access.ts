/**
 * Route-side checks. The principal is worked out once per request, on first use, so public routes
 * never verify a token. A caller without credentials gets 401; one whose token does not cover the
 * namespace or right gets 403.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HttpError } from '../http-error'
import type { Authenticator } from './authenticator'
import { unauthorized } from './authenticator'
import { can, isOperator, type Principal, type Right } from './principal'

const KEY = 'zv-principal'

/** Remembers how to find the caller; checks happen in the routes. */
export function authenticate(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    let found: Promise<Principal> | undefined
    c.set(KEY as never, (() => (found ??= auth.principal(c.req.header('authorization')))) as never)
    await next()
  }
}

export function principalOf(c: Context): Promise<Principal> {
  const find = c.get(KEY as never) as (() => Promise<Principal>) | undefined
  return find ? find() : Promise.resolve({ kind: 'open' })
}

export async function requireRight(
  c: Context,
  right: Right,
  namespace: string,
): Promise<Principal> {
  const principal = await principalOf(c)
  if (can(principal, right, namespace)) return principal
  throw denied(principal, `'${right}' on namespace '${namespace}'`)
}

/** Routes across namespaces (volunteers, peers, tokens, metrics): the admin only. */
export async function requireOperator(c: Context): Promise<Principal> {
  const principal = await principalOf(c)
  if (isOperator(principal)) return principal
  throw denied(principal, 'the admin token')
}

/** Content-addressed uploads (wasm modules): any caller that may submit jobs somewhere. */
export async function requireAnyRight(c: Context, right: Right): Promise<Principal> {
  const principal = await principalOf(c)
  if (isOperator(principal) || (principal.kind === 'token' && principal.rights.includes(right)))
    return principal
  throw denied(principal, `'${right}'`)
}

function denied(principal: Principal, needed: string): HttpError {
  if (principal.kind === 'anonymous')
    return unauthorized(
      'AUTH_REQUIRED',
      `this route needs a token: send "Authorization: Bearer <token>"`,
    )
  return new HttpError(403, 'FORBIDDEN', `this token does not grant ${needed}`)
}

/**
 * For routes named by namespace (`/api/db/{ns}/…`, `/api/storage/{ns}/…`, `/api/deploy/{ns}/…`):
 * checks `right` on the namespace in path segment `index` before the route runs. A path without
 * one is left to the route (a listing across namespaces checks for itself; a malformed name gets
 * the route's 400).
 */
export function guardNamespace(right: Right, index = 3): MiddlewareHandler {
  return async (c, next) => {
    const segment = c.req.path.split('/')[index]
    if (segment) {
      let namespace = segment
      try {
        namespace = decodeURIComponent(segment)
      } catch {
        // The route rejects a malformed name.
      }
      await requireRight(c, right, namespace)
    }
    await next()
  }
}
