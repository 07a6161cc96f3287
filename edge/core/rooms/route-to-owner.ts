/**
 * Sends each request to the room that owns it, as its route declares (owner.ts) and the host's
 * `Rooms` answer. What this process owns goes on to the routes mounted here; the rest is handed
 * to its room, which answers as a single orchestrator would (its own request id, rate limits and
 * auth included). With one room that is this process, nothing is ever forwarded.
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import type { Authenticator } from '../auth/authenticator'
import { isOperator, type Right } from '../auth/principal'
import { REQUEST_ID_HEADER, requestIdFrom } from '../observability/request-log'
import { lenientPathSegments } from '../routes/path-segments'
import { routeInfoOf } from '../routes/route-table'
import { HOME, type Owner, type RequestView } from './owner'
import { HERE, type RemoteRoom, type Room, type Rooms } from './rooms'

/** A body larger than this is not read to find its namespace: the home room answers it (413). */
const MAX_ROUTED_BODY = 16 * 1024 * 1024

/** `auth` checks a token's signature before a body is read to decide where it goes. */
export function routeToOwner(rooms: Rooms, auth: Authenticator): MiddlewareHandler {
  const every = rooms.all()
  if (every.length === 1 && every[0] === HERE) return (_c, next) => next()
  return async (c, next) => {
    // One id for the request in every room it reaches, so their log lines can be joined.
    const request = withRequestId(c.req.raw)
    const url = new URL(request.url)
    const view = requestView(url)
    let owner = routeInfoOf(c)?.owner ?? HOME
    while (owner.kind === 'either') owner = owner.pick(view)
    switch (owner.kind) {
      case 'anywhere':
        return next()
      case 'home':
        return answer(rooms.home(), request, next)
      case 'namespace': {
        const namespace = owner.of(view)
        return answer(
          namespace === undefined ? rooms.home() : rooms.namespace(namespace),
          request,
          next,
        )
      }
      case 'id': {
        const id = owner.of(view)
        return answer(id === undefined ? rooms.home() : rooms.id(id), request, next)
      }
      case 'new-volunteer':
        // Only a real upgrade is placed: the balancer counts a placed volunteer before it arrives,
        // and a plain GET would count one that never will (the home room answers it its 426).
        if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
          return answer(rooms.home(), request, next)
        return answer(await rooms.volunteer(), request, next)
      case 'body-namespace':
        return byBodyNamespace(c, rooms, auth, owner.right, request, next)
      case 'first':
        return firstThatKnows(c, rooms.all(), request, next)
      case 'all':
        return everyRoom(rooms, auth, owner, request, url, next)
    }
  }
}

async function answer(room: Room, request: Request, next: Next): Promise<Response | void> {
  if (room === HERE) return next()
  return room.fetch(request)
}

/** Job submissions: the namespace is in the body, read here only for a caller who may submit. */
async function byBodyNamespace(
  c: Context,
  rooms: Rooms,
  auth: Authenticator,
  right: Right,
  request: Request,
  next: Next,
): Promise<Response | void> {
  const home = rooms.home()
  // The home room refuses, unread, the body of a caller who may submit nowhere.
  if (!(await holdsSomewhere(auth, request, right))) return answer(home, request, next)
  const length = Number(request.headers.get('content-length') ?? '0')
  if (length > MAX_ROUTED_BODY) return answer(home, request, next)
  const body = await request.text()
  const room = rooms.namespace(namespaceIn(body))
  if (room === HERE) throw new Error(`${c.req.method} ${c.req.path}: this process read the body`)
  return room.fetch(new Request(request, { body }))
}

/** Each room in turn, until one answers other than 404. */
async function firstThatKnows(
  c: Context,
  rooms: readonly Room[],
  request: Request,
  next: Next,
): Promise<Response | void> {
  const remote = onlyRemote(c, rooms)
  if (!remote) return next()
  let last: Response | undefined
  for (const room of remote) {
    last = await room.fetch(request.clone())
    if (last.status !== 404) return last
  }
  return last ?? Response.json({ error: 'not found', code: 'NOT_FOUND' }, { status: 404 })
}

/** Every room is asked (a body is read once and sent to each), and their answers combined. */
async function everyRoom(
  rooms: Rooms,
  auth: Authenticator,
  owner: Extract<Owner, { kind: 'all' }>,
  request: Request,
  url: URL,
  next: Next,
): Promise<Response | void> {
  if (request.body && owner.right && !(await holdsSomewhere(auth, request, owner.right)))
    return answer(rooms.home(), request, next)
  const remote = onlyRemote(undefined, rooms.all())
  if (!remote) return next()
  const body = request.body ? await request.arrayBuffer() : undefined
  const asked = (owner.combine.ask?.(url) ?? url).toString()
  const answers = await Promise.all(
    remote.map((room) =>
      room.fetch(new Request(asked, { method: request.method, headers: request.headers, body })),
    ),
  )
  const combined = await owner.combine.merge(answers, url)
  if (combined.headers.has(REQUEST_ID_HEADER)) return combined
  combined.headers.set(REQUEST_ID_HEADER, request.headers.get(REQUEST_ID_HEADER) ?? '')
  return combined
}

/**
 * The rooms when all are elsewhere; undefined when the only one is this process. A set that mixes
 * the two has no host yet (federation will bring one) and is refused loudly.
 */
function onlyRemote(c: Context | undefined, rooms: readonly Room[]): RemoteRoom[] | undefined {
  const remote = rooms.filter((room): room is RemoteRoom => room !== HERE)
  if (remote.length === rooms.length) return remote
  if (rooms.length === 1) return undefined
  throw new Error(`${c?.req.path ?? 'a request'}: rooms mix this process and others`)
}

/**
 * Whether a caller holds `right` on some namespace, as far as its token's signature tells. The
 * room behind checks the rest (revocation, the namespace) as for any request.
 */
async function holdsSomewhere(
  auth: Authenticator,
  request: Request,
  right: Right,
): Promise<boolean> {
  try {
    const principal = await auth.signedPrincipal(request.headers.get('authorization') ?? undefined)
    return principal.kind === 'token' ? principal.rights.includes(right) : isOperator(principal)
  } catch {
    return false
  }
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

/** Decoded as the rooms decode them, segment by segment, so a request is served as it was routed. */
function requestView(url: URL): RequestView {
  const segments = lenientPathSegments(url.pathname)
  while (segments.at(-1) === '') segments.pop()
  return { segments, query: url.searchParams }
}

function withRequestId(request: Request): Request {
  const offered = request.headers.get(REQUEST_ID_HEADER)
  const id = requestIdFrom(offered)
  if (id === offered) return request
  const headers = new Headers(request.headers)
  headers.set(REQUEST_ID_HEADER, id)
  return new Request(request, { headers })
}
