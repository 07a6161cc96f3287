/**
 * The API's routes as declarations: where each one is, who answers it (which room, see
 * rooms/owner.ts), how large its body may be, and its handler. A table is mounted on a Hono app
 * with the stores and services its handlers use, or without them in a front that only forwards
 * (rooms/route-to-owner.ts); middleware finds the declaration of the route a request matched.
 */
import type { Context, Env, Hono, Next } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { Owner } from '../rooms/owner'
import type { RouteDoc, Undocumented } from './route-doc'

/**
 * How large a request body may be: `api` (the API's limit, the default), `module` (a WebAssembly
 * module as base64 in JSON, a third larger than the module limit), `stream` (the route's store
 * enforces its own limit as the body streams in).
 */
export type BodyKind = 'api' | 'module' | 'stream'

/** What a route says about itself, beside its handler. */
export interface RouteInfo {
  owner: Owner
  /** Default `api`; a GET or HEAD has no body limit at all. */
  body?: BodyKind
  /** It checks a credential of its own (a job's upload token) instead of the API's. */
  ownCredential?: true
  /** Its entry in the OpenAPI document, or why it has none. */
  doc?: RouteDoc | Undocumented
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'ALL'

/** `P` is the route's path, so that `c.req.param()` knows its parameters. */
export type RouteHandler<D, P extends string = string> = (
  c: Context<Env, P>,
  deps: D,
) => Response | Promise<Response>
export type RouteMiddleware<D> = (c: Context, next: Next, deps: D) => Promise<void | Response>

/** A route's method and path, as declared (what `405 Method Not Allowed` answers from). */
export interface DeclaredRoute {
  method: Method
  path: string
}

/** A declared route with its declaration, for the OpenAPI document (see openapi/). */
export interface DescribedRoute extends DeclaredRoute {
  info: RouteInfo
}

type Entry<D> =
  | { kind: 'route'; method: Method; path: string; info: RouteInfo; handler: RouteHandler<D> }
  | { kind: 'use'; path: string; middleware: RouteMiddleware<D> }

const declared = new WeakMap<object, RouteInfo>()
const INFO_KEY = 'zv-route-info'

/** Routes and their middleware, in the order Hono tries them; `D` is what the handlers use. */
export class RouteTable<D> {
  readonly #entries: Entry<D>[] = []

  get<P extends string>(path: P, info: RouteInfo, handler: RouteHandler<D, P>): this {
    return this.#route('GET', path, info, handler as RouteHandler<D>)
  }

  post<P extends string>(path: P, info: RouteInfo, handler: RouteHandler<D, P>): this {
    return this.#route('POST', path, info, handler as RouteHandler<D>)
  }

  put<P extends string>(path: P, info: RouteInfo, handler: RouteHandler<D, P>): this {
    return this.#route('PUT', path, info, handler as RouteHandler<D>)
  }

  delete<P extends string>(path: P, info: RouteInfo, handler: RouteHandler<D, P>): this {
    return this.#route('DELETE', path, info, handler as RouteHandler<D>)
  }

  /** Every method. */
  all<P extends string>(path: P, info: RouteInfo, handler: RouteHandler<D, P>): this {
    return this.#route('ALL', path, info, handler as RouteHandler<D>)
  }

  /** Middleware for the paths under `path`, run where the routes are answered (not in a front). */
  use(path: string, middleware: RouteMiddleware<D>): this {
    this.#entries.push({ kind: 'use', path, middleware })
    return this
  }

  /** The routes declared, without their handlers. */
  routes(): DeclaredRoute[] {
    return this.#entries.flatMap((e) =>
      e.kind === 'route' ? [{ method: e.method, path: e.path }] : [],
    )
  }

  /** The routes declared with what they say of themselves (their OpenAPI entries among it). */
  described(): DescribedRoute[] {
    return this.#entries.flatMap((e) =>
      e.kind === 'route' ? [{ method: e.method, path: e.path, info: e.info }] : [],
    )
  }

  /**
   * Registers the table on `app`. Without `deps` (a front that only forwards) each route is
   * registered for matching only: answering it here would be a bug, and says so.
   */
  mount(app: Hono, deps: D | undefined): void {
    for (const entry of this.#entries) {
      if (entry.kind === 'use') {
        if (deps !== undefined) app.use(entry.path, (c, next) => entry.middleware(c, next, deps))
        continue
      }
      const handler =
        deps === undefined
          ? (c: Context): Response => {
              throw new Error(`${c.req.method} ${c.req.path} reached a front that answers nothing`)
            }
          : (c: Context) => entry.handler(c, deps)
      declared.set(handler, entry.info)
      app.on(entry.method, entry.path, handler)
    }
  }

  #route(method: Method, path: string, info: RouteInfo, handler: RouteHandler<D>): this {
    this.#entries.push({ kind: 'route', method, path, info, handler })
    return this
  }
}

/**
 * The declaration of the route that answers this request: the first declared route it matched
 * (Hono tries them in that order), or undefined when it matched none.
 */
export function routeInfoOf(c: Context): RouteInfo | undefined {
  const known = c.get(INFO_KEY as never) as { info: RouteInfo | undefined } | undefined
  if (known) return known.info
  let info: RouteInfo | undefined
  for (const route of matchedRoutes(c)) {
    info = declared.get(route.handler)
    if (info) break
  }
  c.set(INFO_KEY as never, { info } as never)
  return info
}
