/**
 * The Workers host: a stateless front that sends each request to the job room that owns it
 * (room-routing.ts), gathers the few reads that span rooms, and serves the volunteer PWA from
 * its static assets. Everything else is the portable core, running inside the rooms.
 */
import { Hono } from 'hono'
import { renderError, renderNotFound } from '../../core/http-error'
import { REQUEST_ID_HEADER, requestIdFrom } from '../../core/observability/request-log'
import { volunteerPageRoutes } from '../../core/routes/volunteer-page-routes'
import { rawTargetProblem } from '../../core/storage/storage-path'
import { AssetsBindingSource } from './assets-binding-source'
import { ROOM_HEADER, roomCount, type Env } from './env'
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
    // The same refusal as the Node host's for encoded "..", backslashes, NUL and broken escapes.
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

function forward(env: Env, room: number, request: Request): Promise<Response> {
  // Every header goes along, CF-Connecting-IP too: the room's per-client limits key on it.
  const headers = new Headers(request.headers)
  headers.set(ROOM_HEADER, String(room))
  const stub = env.JOB_ROOMS.get(env.JOB_ROOMS.idFromName(`room-${room}`))
  return stub.fetch(new Request(request, { headers }))
}

function withRequestId(request: Request): Request {
  const offered = request.headers.get(REQUEST_ID_HEADER)
  const id = requestIdFrom(offered)
  if (id === offered) return request
  const headers = new Headers(request.headers)
  headers.set(REQUEST_ID_HEADER, id)
  return new Request(request, { headers })
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
