/**
 * The Workers host: a stateless front that sends each request to the job room that owns it
 * (room-routing.ts), gathers the few reads that span rooms, and serves the volunteer PWA from
 * its static assets. Everything else is the portable core, running inside the rooms.
 */
import { Hono } from 'hono'
import { renderError, renderNotFound } from '../core/http-error'
import { REQUEST_ID_HEADER, requestIdFrom } from '../core/observability/request-log'
import { volunteerPageRoutes } from '../core/routes/volunteer-page-routes'
import { rawTargetProblem } from '../core/storage/storage-path'
import { AssetsBindingSource } from './assets-binding-source'
import { Authenticator } from '../core/auth/authenticator'
import { isOperator } from '../core/auth/principal'
import { authSettings, ROOM_HEADER, roomCount, type Env } from './env'
import { mergeResponses } from './merge-responses'
import { roomOf, route } from './room-routing'

export { Balancer } from './balancer'
export { JobRoom } from './job-room'

/** Job submissions larger than this are not parsed here; the room answers them with 413. */
const MAX_PARSED_BODY = 16 * 1024 * 1024

export default {
  async fetch(incoming: Request, env: Env): Promise<Response> {
    // One id for the request in every room it reaches, so their log lines can be joined.
    const request = withRequestId(incoming)
    const url = new URL(request.url)
    // The same refusal as the Node host's for backslashes, NUL and broken escapes. Dot segments,
    // even encoded ones, reach a Worker already resolved (workerd parses the URL first): the
    // request is then for the resolved path, routed and checked as such.
    const problem = rawTargetProblem(url.pathname)
    if (problem) return Response.json({ error: problem, code: 'INVALID_PATH' }, { status: 400 })
    const rooms = roomCount(env)
    const target = route(request.method, url, rooms)
    switch (target.to) {
      case 'assets':
        return assetsApp(env).fetch(request)
      case 'room':
        return forward(env, target.room, request)
      case 'balancer':
        return forward(env, await balancer(env).place(), request)
      case 'body-namespace': {
        // Room 0 refuses, unread, the body of a caller who may submit nowhere.
        if (!(await maySubmit(env, request))) return forward(env, 0, request)
        const length = Number(request.headers.get('content-length') ?? '0')
        if (length > MAX_PARSED_BODY) return forward(env, 0, request)
        const body = await request.text()
        return forward(env, roomOf(namespaceIn(body), rooms), new Request(request, { body }))
      }
      case 'first': {
        let last: Response | undefined
        for (let room = 0; room < rooms; room++) {
          last = await forward(env, room, request.clone())
          if (last.status !== 404) return last
        }
        return last ?? Response.json({ error: 'not found', code: 'NOT_FOUND' }, { status: 404 })
      }
      case 'all': {
        if (request.body && !(await maySubmit(env, request))) return forward(env, 0, request)
        const body = request.body ? await request.arrayBuffer() : undefined
        const asked = roomsRequest(url, target.merge)
        const answers = await Promise.all(
          Array.from({ length: rooms }, (_, room) =>
            forward(
              env,
              room,
              new Request(asked, { method: request.method, headers: request.headers, body }),
            ),
          ),
        )
        const merged = await mergeResponses(target.merge, answers, url)
        if (merged.headers.has(REQUEST_ID_HEADER)) return merged
        merged.headers.set(REQUEST_ID_HEADER, request.headers.get(REQUEST_ID_HEADER) ?? '')
        return merged
      }
    }
  },
} satisfies ExportedHandler<Env>

async function forward(env: Env, room: number, request: Request): Promise<Response> {
  // Every header goes along, CF-Connecting-IP too: the room's per-client limits key on it.
  const headers = new Headers(request.headers)
  headers.set(ROOM_HEADER, String(room))
  const stub = env.JOB_ROOMS.get(env.JOB_ROOMS.idFromName(`room-${room}`))
  if (!request.body) return stub.fetch(new Request(request, { headers }))
  // A GET or HEAD body means nothing, and no room reads one: it is not sent on.
  if (request.method === 'GET' || request.method === 'HEAD')
    return stub.fetch(new Request(request.url, { method: request.method, headers }))
  const relay = relayBody(request.body, request.headers.get('content-length'))
  try {
    return await stub.fetch(new Request(request, { headers, body: relay.body }))
  } finally {
    await relay.answered()
  }
}

/** What a room may leave unread and the Worker still takes and drops, to keep the connection. */
const DRAIN_BYTES = 1024 * 1024
const DRAIN_MS = 2_000

/**
 * Hands a request body to a room chunk by chunk. A room may answer without reading it (a 401
 * before the body, a 413 part way): left to the runtime, the rest would then be read after the
 * answer went out, which workerd counts as an uncaught error. So once the room answered, the
 * rest is taken and dropped unread — as an HTTP server drains a body it refused, so the
 * connection can carry the next request — up to a bound, and the client's stream is cancelled.
 */
function relayBody(
  source: ReadableStream<Uint8Array>,
  length: string | null,
): { body: ReadableStream<Uint8Array>; answered: () => Promise<void> } {
  const relay =
    length !== null && /^\d{1,15}$/.test(length)
      ? new FixedLengthStream(Number(length))
      : new IdentityTransformStream()
  const reader = source.getReader()
  const writer = relay.writable.getWriter()
  let answer: () => void = () => undefined
  const answered = new Promise<void>((resolve) => (answer = resolve))
  let stopped = false
  let dropped = 0
  const pumped = (async () => {
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) return stopped ? undefined : writer.close()
      if (stopped) {
        if ((dropped += chunk.value.byteLength) > DRAIN_BYTES) return
        continue
      }
      // A room that stopped reading holds the write up: its answer releases it.
      await Promise.race([writer.write(chunk.value).catch(() => undefined), answered])
    }
  })().catch(() => undefined)
  return {
    body: relay.readable,
    answered: async () => {
      stopped = true
      answer()
      const timer = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_MS))
      await Promise.race([pumped, timer])
      await reader.cancel().catch(() => undefined)
    },
  }
}

function withRequestId(request: Request): Request {
  const offered = request.headers.get(REQUEST_ID_HEADER)
  const id = requestIdFrom(offered)
  if (id === offered) return request
  const headers = new Headers(request.headers)
  headers.set(REQUEST_ID_HEADER, id)
  return new Request(request, { headers })
}

const fronts = new WeakMap<Env, Authenticator>()

/**
 * Whether the front may read a request's body to route it (job submissions, module uploads): its
 * caller may submit jobs somewhere, as far as the token's signature tells. The room behind checks
 * the rest (revocation, the namespace) as for any request.
 */
async function maySubmit(env: Env, request: Request): Promise<boolean> {
  let auth = fronts.get(env)
  if (!auth) fronts.set(env, (auth = new Authenticator(authSettings(env), () => undefined)))
  try {
    const principal = await auth.signedPrincipal(request.headers.get('authorization') ?? undefined)
    return principal.kind === 'token' ? principal.rights.includes('jobs') : isOperator(principal)
  } catch {
    return false
  }
}

const balancer = (env: Env) => env.BALANCER.get(env.BALANCER.idFromName('balancer'))

/** A paged job listing asks every room for the first offset+limit jobs, then pages the merge. */
function roomsRequest(url: URL, merge: string): string {
  if (merge !== 'jobs') return url.toString()
  const asked = new URL(url)
  const limit = Number(url.searchParams.get('limit') ?? '20')
  const offset = Number(url.searchParams.get('offset') ?? '0')
  if (Number.isSafeInteger(limit) && Number.isSafeInteger(offset) && limit > 0 && offset >= 0) {
    asked.searchParams.set('limit', String(Math.min(1000, offset + limit)))
    asked.searchParams.set('offset', '0')
  }
  return asked.toString()
}

function namespaceIn(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed && typeof parsed === 'object' && 'namespace' in parsed) {
      const { namespace } = parsed as { namespace: unknown }
      if (typeof namespace === 'string') return namespace
    }
  } catch {
    // The room answers malformed JSON with its usual 400.
  }
  return 'default'
}

let assets: { app: Hono; binding: Fetcher } | undefined
function assetsApp(env: Env): Hono {
  if (assets?.binding === env.ASSETS) return assets.app
  const app = new Hono()
  app.onError(renderError)
  app.notFound(renderNotFound)
  app.route('/volunteer', volunteerPageRoutes(new AssetsBindingSource(env.ASSETS)))
  assets = { app, binding: env.ASSETS }
  return app
}
