/**
 * The HTTP API as one Hono app built only on Web-standard APIs; each host mounts it and supplies
 * what differs (the SQL behind the orchestrator, how a WebSocket upgrade is accepted).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AssetSource } from './assets/asset-source'
import { authenticate, requireCallerForWrites } from './auth/access'
import { renderError, renderNotFound } from './http-error'
import { rateLimit, type RateLimitScope } from './limits/rate-limit'
import { consoleLogger, type Logger } from './observability/logger'
import { requestLog } from './observability/request-log'
import { bodyLimits } from './routes/body-limit'
import { metricsRoutes } from './routes/metrics-routes'
import { tokenRoutes } from './routes/token-routes'
import type { Orchestrator } from './orchestrator'
import { healthRoutes } from './routes/health-routes'
import { dbRoutes } from './routes/db-routes'
import { deployRoutes, functionRoute } from './routes/deploy-routes'
import { jobOutputRoutes } from './routes/job-output-routes'
import { jobRoutes } from './routes/job-routes'
import { peerRoutes } from './routes/peer-routes'
import { serviceRoutes } from './routes/service-routes'
import { staticRoutes, storageRoutes } from './routes/storage-routes'
import { volunteerPageRoutes } from './routes/volunteer-page-routes'
import { volunteerRoutes } from './routes/volunteer-routes'
import { wasmRoutes } from './routes/wasm-routes'

export interface AppDeps {
  orchestrator: Orchestrator
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
}

export function createApp(deps: AppDeps): Hono {
  const { orchestrator } = deps
  const app = new Hono()
  const maxSize = orchestrator.config.maxBodyBytes

  app.onError(renderError)
  app.notFound(renderNotFound)
  // First, so every answer (413s and 401s included) carries a request id and is logged.
  app.use('*', requestLog(deps.logger ?? consoleLogger('info'), orchestrator.metrics))
  // A deliberate CORS policy: the API answers browsers of the configured origins only (the
  // volunteer page is same-origin and needs none); functions set their own headers.
  const origins = new Set(orchestrator.config.corsOrigins)
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
  const { limits } = orchestrator.config
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
  // Before anything reads a body (or decides it is too large): who is asking. A job's output upload
  // carries that job's token instead, which its route checks first.
  const outputUpload = (c: Context) =>
    c.req.method === 'PUT' && /^\/api\/jobs\/[^/]+\/outputs\//.test(c.req.path)
  app.use('/api/*', requireCallerForWrites(outputUpload))
  const standard = {
    maxBytes: maxSize,
    hint: '; upload large WebAssembly modules with POST /api/wasm and send wasm_cid',
  }
  // Modules, and a run's input files, may come as base64 in JSON: a third larger than the bytes.
  const modules = {
    maxBytes: Math.ceil((orchestrator.config.maxWasmBytes * 4) / 3) + 1024,
    hint: '',
  }
  app.use(
    '*',
    bodyLimits((c) => {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return undefined
      // Storage uploads and job outputs stream to a file store, which enforces its own (larger) limit.
      if (c.req.method === 'PUT' && c.req.path.startsWith('/api/storage/')) return undefined
      if (outputUpload(c)) return undefined
      const large =
        c.req.path === '/api/wasm' || /^\/api\/services\/standalone\/\d+\/run$/.test(c.req.path)
      return large ? modules : standard
    }),
  )
  app.route('/', healthRoutes(orchestrator, deps.host))
  app.route('/', metricsRoutes(orchestrator.metrics))
  app.route(
    '/api/tokens',
    tokenRoutes(
      orchestrator.auth,
      orchestrator.tokens,
      () => orchestrator.durable(),
      (id) => orchestrator.hub.revoke(id),
    ),
  )
  app.route('/api/jobs', jobRoutes(orchestrator))
  app.route('/api/wasm', wasmRoutes(orchestrator))
  app.route('/api/volunteers', volunteerRoutes(orchestrator))
  app.route('/api/db', dbRoutes(orchestrator))
  app.route('/api/deploy', deployRoutes(orchestrator, orchestrator.functions))
  app.route('/api/services/standalone', serviceRoutes(orchestrator))
  app.route('/api/peers', peerRoutes(orchestrator))
  if (orchestrator.outputs)
    app.route('/api/jobs', jobOutputRoutes(orchestrator, orchestrator.outputs))
  if (orchestrator.storage) {
    app.route('/api/storage', storageRoutes(orchestrator, orchestrator.storage))
    app.route('/static', staticRoutes(orchestrator.storage))
  }
  app.route('/volunteer', volunteerPageRoutes(deps.assets))
  app.get('/ws/upload', async (c, next) => {
    if (deps.uploadSocket && c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      const upgraded = await deps.uploadSocket(c, next)
      if (upgraded) return upgraded
    }
    return c.json(
      {
        error: 'this endpoint takes WebSocket connections for chunked service uploads',
        code: 'UPGRADE_REQUIRED',
      },
      426,
    )
  })
  // Who a volunteer is (and whether it may connect at all) is decided at its hello, from the
  // token it offers here or there: runners send theirs in the hello (volunteers/executor-identity.ts).
  app.get('/ws/volunteer', async (c, next) => {
    if (deps.volunteerSocket && c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      const upgraded = await deps.volunteerSocket(c, next)
      if (upgraded) return upgraded
    }
    return c.json(
      {
        error: 'this endpoint takes WebSocket connections from volunteers',
        code: 'UPGRADE_REQUIRED',
      },
      426,
    )
  })
  // Last: anything else under /{user}/ is a function invocation.
  const invoke = functionRoute(orchestrator.functions)
  app.all('/:user', invoke)
  app.all('/:user/*', invoke)
  return app
}
