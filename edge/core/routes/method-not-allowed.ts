/**
 * 405 for a method a known path does not take, with the `Allow` it does take, so a caller who
 * sends `PATCH /api/jobs/{id}` learns what to send instead of a 404 that suggests a wrong path.
 * Paths no declared route matches (function paths, typos) go on as before.
 */
import type { MiddlewareHandler } from 'hono'
import { TrieRouter } from 'hono/router/trie-router'
import { HttpError } from '../http-error'
import type { DeclaredRoute, Method } from './route-table'

/** The methods the declared routes take at each path; filled as tables are mounted. */
export class PathMethods {
  // Every route is added under every method, answering with its own: a match lists them all.
  readonly #router = new TrieRouter<Method>()

  /** Records the routes of `table` (a catch-all such as the functions' is left out by its caller). */
  add(table: { routes(): readonly DeclaredRoute[] }): void {
    for (const { method, path } of table.routes()) this.#router.add('ALL', path, method)
  }

  /**
   * The methods routes declare at `path`; empty when none does. A route for every method is left
   * out: the table's are refusals of paths deeper than their neighbours' (`/api/db/{ns}/{key}/…`),
   * which would otherwise answer a `PATCH` on the neighbour with their 400.
   */
  at(path: string): Set<Method> {
    const [matched] = this.#router.match('GET', path)
    return new Set(matched.map(([method]) => method).filter((method) => method !== 'ALL'))
  }
}

/** `Allow` in a stable order; HEAD comes with GET (Hono answers it from the GET route). */
function allowHeader(methods: Set<Method>): string {
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'] as const
  const taken = new Set<string>([...methods, 'OPTIONS'])
  if (taken.has('GET')) taken.add('HEAD')
  return order.filter((m) => taken.has(m)).join(', ')
}

/**
 * Answers a request whose path some route knows but whose method none takes: 405 with `Allow`,
 * or, for a plain `OPTIONS` (not a CORS preflight, which the CORS policy answers), 204 with it.
 */
export function methodNotAllowed(known: PathMethods): MiddlewareHandler {
  return async (c, next) => {
    const methods = known.at(c.req.path)
    const method = c.req.method
    // Hono answers HEAD with the GET route, but the request still says HEAD.
    const routed = method === 'HEAD' ? 'GET' : method
    if (methods.size === 0 || methods.has(routed as Method)) return next()
    const allow = allowHeader(methods)
    if (method === 'OPTIONS') {
      if (c.req.header('access-control-request-method') !== undefined) return next()
      return c.body(null, 204, { Allow: allow })
    }
    throw new HttpError(
      405,
      'METHOD_NOT_ALLOWED',
      `${method} is not allowed on ${c.req.path}; it takes ${allow}`,
      { headers: { Allow: allow } },
    )
  }
}
