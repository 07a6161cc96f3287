/**
 * Route-side checks. The principal is worked out once per request, on first use, so public routes
 * never verify a token. A caller without credentials gets 401; one whose token does not cover the
 * namespace or right gets 403. A passed check marks the request, and request bodies are read only
 * from marked requests (routes/request-body.ts): no body byte is read before its caller is known.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HttpError } from '../http-error'
import { lenientPathSegments } from '../routes/path-segments'
import type { Authenticator } from './authenticator'
import { unauthorized } from './authenticator'
import { can, isOperator, type Principal, type Right } from './principal'

const KEY = 'zv-principal'
const CHECKED = 'zv-caller-checked'

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

/**
 * Refuses a request that changes something (anything but GET, HEAD, OPTIONS) from an anonymous
 * caller or with a token that does not verify, before any route or body limit sees it. `exempt`
 * names routes that take another credential (a job's upload token) and check it themselves.
 */
export function requireCallerForWrites(exempt: (c: Context) => boolean): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || exempt(c)) return next()
    const principal = await principalOf(c)
    if (principal.kind === 'anonymous') throw denied(principal, 'a token')
    await next()
  }
}

export async function requireRight(
  c: Context,
  right: Right,
  namespace: string,
): Promise<Principal> {
  const principal = await principalOf(c)
  if (can(principal, right, namespace)) return checked(c, principal)
  throw denied(principal, `'${right}' on namespace '${namespace}'`)
}

/** Routes across namespaces (volunteers, peers, tokens, metrics): the admin only. */
export async function requireOperator(c: Context): Promise<Principal> {
  const principal = await principalOf(c)
  if (isOperator(principal)) return checked(c, principal)
  throw denied(principal, 'the admin token')
}

/**
 * Any caller that holds `right` somewhere: content-addressed uploads (wasm modules), and the
 * first check of a route whose namespace is in its body, made before that body is read.
 */
export async function requireAnyRight(c: Context, right: Right): Promise<Principal> {
  const principal = await principalOf(c)
  if (isOperator(principal) || (principal.kind === 'token' && principal.rights.includes(right)))
    return checked(c, principal)
  throw denied(principal, `'${right}'`)
}

/**
 * Marks the request as coming from a caller the route has accepted by other means: a public
 * route (function invocation), or one with its own credential (a job's upload token).
 */
export function callerAccepted(c: Context): void {
  c.set(CHECKED as never, true as never)
}

/** Whether some check above accepted the request's caller. */
export function isCallerAccepted(c: Context): boolean {
  return c.get(CHECKED as never) === true
}

function checked(c: Context, principal: Principal): Principal {
  callerAccepted(c)
  return principal
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
 * checks `right` on the namespace in path segment `index` (counted from 0 after the leading "/",
 * decoded as the route decodes it) before the route runs, and so before any body is read. A path
 * without one is left to the route (a listing across namespaces checks for itself; a malformed
 * name gets the route's 400).
 */
export function guardNamespace(right: Right, index = 2): MiddlewareHandler {
  return async (c, next) => {
    const namespace = lenientPathSegments(new URL(c.req.url).pathname)[index]
    if (namespace) await requireRight(c, right, namespace)
    await next()
  }
}
