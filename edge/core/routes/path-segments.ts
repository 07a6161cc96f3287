/**
 * The request path as segments, each percent-decoded exactly once. Every route that takes a user,
 * namespace, key or path from the URL reads it here, by position: a segment means what it
 * decodes to (`%65ve` is `eve`), and nothing is ever sliced out of the raw path by the length of a
 * decoded name. A front picks a namespace's room with the same function (rooms/route-to-owner.ts),
 * so a request is served as the namespace it was routed by.
 */
import type { Context } from 'hono'
import { PathError } from '../storage/storage-path'

/** `/api/deploy/%65ve/a/` → `['api', 'deploy', 'eve', 'a', '']`; throws a 400 for broken escapes. */
function pathSegments(pathname: string): string[] {
  return pathname.slice(1).split('/').map(decodeSegment)
}

/**
 * The same, but a segment with broken escapes is kept as it came (for routing and checks that run
 * before the route, which then answers 400 for it).
 */
export function lenientPathSegments(pathname: string): string[] {
  return pathname
    .slice(1)
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        return segment
      }
    })
}

/** The segments of the request's own path (the raw URL's, not a router's re-encoded view). */
export function requestSegments(c: Context): string[] {
  return pathSegments(new URL(c.req.url).pathname)
}

/**
 * The segments from `index` on, joined as a path inside a namespace. An encoded "/" is data, not
 * a separator, so it is refused rather than letting one segment become two.
 */
export function joinedPath(segments: string[], index: number): string {
  const rest = segments.slice(index)
  if (rest.some((s) => s.includes('/')))
    throw new PathError('path must not contain encoded slashes (%2F)')
  return rest.join('/')
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new PathError('path is not valid percent-encoding')
  }
}
