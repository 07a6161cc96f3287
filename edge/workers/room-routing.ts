/**
 * Which job room answers a request. Everything of one namespace (its jobs, functions, KV and
 * files) lives in the room its name hashes to; job and batch ids carry their room (`r3-…`);
 * standalone services and runners live in room 0; a few reads gather every room.
 */
import { lenientPathSegments } from '../core/routes/path-segments'

export type Route =
  /** One room answers. */
  | { to: 'room'; room: number }
  /** The namespace is in the JSON body (job submissions); `default` when absent. */
  | { to: 'body-namespace' }
  /** A volunteer socket: the balancer picks the room. */
  | { to: 'balancer' }
  /** Every room answers and the answers are merged. */
  | { to: 'all'; merge: Merge }
  /** Rooms are asked in turn until one knows the thing. */
  | { to: 'first' }
  /** The volunteer PWA, served by the Worker from its assets. */
  | { to: 'assets' }

export type Merge =
  | 'stats'
  | 'info'
  | 'jobs'
  | 'volunteers'
  | 'deployments'
  | 'first-ok'
  /** Prometheus text: each room's samples labelled with its number. */
  | 'metrics'

/** FNV-1a: stable across deploys and hosts, and cheap. */
export function roomOf(namespace: string, rooms: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < namespace.length; i++) {
    hash ^= namespace.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % rooms
}

/** The room named in a job or batch id, or undefined when the id names none of ours. */
export function roomOfId(id: string, rooms: number): number | undefined {
  const match = /^r(\d{1,3})-/.exec(id)
  if (!match) return undefined
  const room = Number(match[1])
  return room < rooms ? room : undefined
}

export function route(method: string, url: URL, rooms: number): Route {
  // Decoded as the rooms decode them, segment by segment and by position, so the namespace a
  // request is routed by is the one the room serves it as.
  const segments = lenientPathSegments(url.pathname)
  while (segments.at(-1) === '') segments.pop()
  const [first, second, third] = segments
  const namespaced = (ns: string | undefined): Route =>
    ns === undefined ? { to: 'room', room: 0 } : { to: 'room', room: roomOf(ns, rooms) }
  const byId = (id: string | undefined): Route => ({
    to: 'room',
    room: (id === undefined ? undefined : roomOfId(id, rooms)) ?? 0,
  })

  if (first === 'volunteer') return { to: 'assets' }
  if (first === 'ws' && second === 'volunteer')
    return url.searchParams.get('role') === 'runner' ? { to: 'room', room: 0 } : { to: 'balancer' }
  if (first === 'ws') return { to: 'room', room: 0 }
  if (segments.length === 1 && first === 'stats') return { to: 'all', merge: 'stats' }
  if (segments.length === 1 && first === 'info') return { to: 'all', merge: 'info' }
  if (segments.length === 1 && first === 'metrics') return { to: 'all', merge: 'metrics' }
  if (segments.length === 1 && first === 'health') return { to: 'room', room: 0 }
  if (first === 'static') return namespaced(second)
  if (first !== 'api') return namespaced(first) // a function: /{user}/{path}

  switch (second) {
    case 'jobs': {
      if (third === undefined) {
        if (method === 'POST') return { to: 'body-namespace' }
        const ns = url.searchParams.get('namespace')
        return ns !== null ? namespaced(ns) : { to: 'all', merge: 'jobs' }
      }
      if (third === 'batch') {
        if (segments.length === 3 && method === 'POST') return { to: 'body-namespace' }
        return byId(segments[3])
      }
      return byId(third)
    }
    case 'wasm':
      // Modules are kept in every room, so a job anywhere finds its module where it runs.
      return method === 'POST' ? { to: 'all', merge: 'first-ok' } : { to: 'first' }
    case 'volunteers':
      return { to: 'all', merge: 'volunteers' }
    case 'deploy': {
      if (third !== undefined) return namespaced(third)
      const user = url.searchParams.get('user')
      return user !== null ? namespaced(user) : { to: 'all', merge: 'deployments' }
    }
    case 'db':
    case 'storage':
      return namespaced(third)
    default:
      // services, peers and anything unknown (whose 404 every room gives alike)
      return { to: 'room', room: 0 }
  }
}
