/**
 * The Workers host: a stateless front that serves the core's app (one route table), which sends
 * each request to the job room that owns it (durable-object-rooms.ts) and serves the volunteer
 * PWA from its static assets. Everything else is the portable core, running inside the rooms.
 */
import type { Hono } from 'hono'
import { createApp } from '../core/app'
import { Authenticator } from '../core/auth/authenticator'
import { consoleLogger, isLogThreshold } from '../core/observability/logger'
import { rawTargetProblem } from '../core/storage/storage-path'
import { AssetsBindingSource } from './assets-binding-source'
import { durableObjectRooms } from './durable-object-rooms'
import { authSettings, type Env } from './env'

export { Balancer } from './balancer'
export { JobRoom } from './job-room'

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // The same refusal as the Node host's for backslashes, NUL and broken escapes. Dot segments,
    // even encoded ones, reach a Worker already resolved (workerd parses the URL first): the
    // request is then for the resolved path, routed and checked as such.
    const problem = rawTargetProblem(new URL(request.url).pathname)
    if (problem) return Response.json({ error: problem, code: 'INVALID_PATH' }, { status: 400 })
    return frontOf(env).fetch(request)
  },
} satisfies ExportedHandler<Env>

const fronts = new WeakMap<Env, Hono>()

/** The front's app: the core's routes, each forwarded to its room; built once per environment. */
function frontOf(env: Env): Hono {
  let app = fronts.get(env)
  if (app) return app
  const level = env.LOG_LEVEL ?? 'info'
  app = createApp({
    host: 'workers',
    rooms: durableObjectRooms(env),
    // Signatures only: the room behind checks revocation and the namespace as for any request.
    auth: new Authenticator(authSettings(env), () => undefined),
    assets: new AssetsBindingSource(env.ASSETS),
    logger: consoleLogger(isLogThreshold(level) ? level : 'info'),
  })
  fronts.set(env, app)
  return app
}
