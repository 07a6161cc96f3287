/**
 * The HTTP API as one Hono app built only on Web-standard APIs; each host mounts it and supplies
 * what differs (the orchestrator behind it, how a WebSocket upgrade is accepted, where its rooms
 * are). Every host serves the same route table (routes/api-routes.ts).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AssetSource } from './assets/asset-source'
import { authenticate, requireCallerForWrites } from './auth/access'
import type { Authenticator } from './auth/authenticator'
import { renderError, renderNotFound } from './http-error'
import { rateLimit, type RateLimitScope } from './limits/rate-limit'
import { consoleLogger, type Logger } from './observability/logger'
import { requestLog } from './observability/request-log'
import { routeToOwner } from './rooms/route-to-owner'
import type { Rooms } from './rooms/rooms'
import { mountApi, type AppCore } from './routes/api-routes'
import { bodyLimits, type BodyLimit } from './routes/body-limit'
import { methodNotAllowed, PathMethods } from './routes/method-not-allowed'
import { routeInfoOf, type BodyKind } from './routes/route-table'

interface HostParts {
  /** Which host serves this app, shown by `/info`. */
  host: 'node' | 'workers'
  /** Accepts a volunteer's WebSocket upgrade on `/ws/volunteer`. */
  volunteerSocket?: MiddlewareHandler
  /** Accepts a standalone-service upload socket on `/ws/upload`. */
  uploadSocket?: MiddlewareHandler
  /** The built volunteer PWA, served at `/volunteer/`. */
  assets?: AssetSource
  /** Where JSON log lines go (default: the console, info and above). */
  logger?: Logger
  /** The client's address (Node: the socket's; Workers: CF-Connecting-IP), for per-client limits. */
  clientAddress?: (c: Context) => string | undefined
  /** Told of every request refused by the rate limit (the metrics counter hooks in here). */
  onRateLimited?: (scope: RateLimitScope) => void
  /**
   * Told when a request that stays open (a submit that waits) has sent work out: a Workers room
   * otherwise tells its balancer only once it answers, and no volunteer would come meanwhile.
   */
  launched?: () => void
}

/** An orchestrator's app: its routes answered here, or (with `rooms`) where each is owned. */
interface CoreAppDeps extends HostParts {
  orchestrator: AppCore
  /** Which room answers each route (default: this process answers all of them). */
  rooms?: Rooms
}

/**
 * A front that answers nothing but the volunteer page itself and hands every other request to
 * the room that owns it (the Workers front Worker).
 */
interface FrontAppDeps extends HostParts {
  orchestrator?: undefined
  rooms: Rooms
  /** Checks a token's signature before a body is read to find where it goes. */
  auth: Authenticator
}

export type AppDeps = CoreAppDeps | FrontAppDeps

export function createApp(deps: AppDeps): Hono {
  const { orchestrator } = deps
  const auth = orchestrator ? orchestrator.auth : deps.auth
  const app = new Hono()
  app.onError(renderError)
  app.notFound(renderNotFound)
  // First: what another room owns is handed to it untouched, its request id set.
  if (deps.rooms) app.use('*', routeToOwner(deps.rooms, auth))
  // Then, so every answer (413s and 401s included) carries a request id and is logged.
  app.use('*', requestLog(deps.logger ?? consoleLogger('info'), orchestrator?.metrics))
  // A method a known path does not take is a 405 for anyone: it tells nothing a token guards.
  const known = new PathMethods()
  app.use('*', methodNotAllowed(known))
  if (orchestrator) guard(app, orchestrator, deps)
  mountApi(
    app,
    orchestrator,
    {
      host: deps.host,
      volunteerSocket: deps.volunteerSocket,
      uploadSocket: deps.uploadSocket,
      assets: deps.assets,
      launched: deps.launched,
    },
    known,
  )
  return app
}

/** What stands before the routes answered here: CORS, rate limits, auth, body limits. */
function guard(app: Hono, orchestrator: AppCore, deps: HostParts): void {
  const { config } = orchestrator
  // A deliberate CORS policy: the API answers browsers of the configured origins only (the
  // volunteer page is same-origin and needs none); functions set their own headers.
  const origins = new Set(config.corsOrigins)
  if (origins.size > 0) {
    const policy = cors({
      origin: (origin) => (origins.has(origin) || origins.has('*') ? origin : null),
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type', 'Range', 'X-Request-Id'],
      exposeHeaders: [
        'Content-Length',
        'Content-Range',
        'ETag',
        'Location',
        'Retry-After',
        'X-Request-Id',
        'X-Visibility',
      ],
      maxAge: 600,
    })
    for (const path of ['/api/*', '/health', '/info', '/stats']) app.use(path, policy)
  }
  // Before authentication, so that tokens the API turns down cost their sender (see rate-limit.ts).
  const { limits } = config
  app.use(
    '*',
    rateLimit({
      rate: limits.rateLimit,
      burst: limits.rateBurst,
      limitLoopback: limits.limitLoopback,
      clientAddress: deps.clientAddress ?? (() => undefined),
      hash: orchestrator.sha256,
      onRateLimited: deps.onRateLimited ?? ((scope) => orchestrator.metrics.rateLimited(scope)),
    }),
  )
  app.use('*', authenticate(orchestrator.auth))
  // Before anything reads a body (or decides it is too large): who is asking. A route with a
  // credential of its own (a job's output upload carries that job's token) checks it first.
  app.use(
    '/api/*',
    requireCallerForWrites((c) => routeInfoOf(c)?.ownCredential === true),
  )
  const limitOf: Record<BodyKind, BodyLimit | undefined> = {
    api: {
      maxBytes: config.maxBodyBytes,
      hint: '; upload large WebAssembly modules with POST /api/wasm and send wasm_cid',
    },
    // Modules, and a run's input files, may come as base64 in JSON: a third larger than the bytes.
    module: { maxBytes: Math.ceil((config.maxWasmBytes * 4) / 3) + 1024, hint: '' },
    // Storage uploads and job outputs stream to a file store, which enforces its own (larger) limit.
    stream: undefined,
  }
  app.use(
    '*',
    bodyLimits((c) =>
      c.req.method === 'GET' || c.req.method === 'HEAD'
        ? undefined
        : limitOf[routeInfoOf(c)?.body ?? 'api'],
    ),
  )
}
