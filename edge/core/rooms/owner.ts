/**
 * Who answers a route, as the route declares it (routes/route-table.ts): a room named by the
 * request (its namespace, a job id), the home room, every room with their answers combined, or
 * any process at all. rooms/route-to-owner.ts asks the host's `Rooms` which room that is.
 */
import type { Right } from '../auth/principal'
import type { Combine } from './combine-answers'

/** The request as owners read it: path segments decoded as the routes decode them, the query. */
export interface RequestView {
  /** Decoded one by one (a broken escape kept as it came); trailing empty segments dropped. */
  segments: readonly string[]
  query: URLSearchParams
}

export type Owner =
  /** Any process answers alike (the volunteer page): no room is asked. */
  | { kind: 'anywhere' }
  /** The home room. */
  | { kind: 'home' }
  /** The room of the namespace `of` names; the home room when it names none. */
  | { kind: 'namespace'; of: (request: RequestView) => string | undefined }
  /**
   * The room of the JSON body's `namespace` (`default` when absent). The body is read to find it
   * only for a caller who holds `right` on some namespace; anyone else is answered, unread, by
   * the home room (which refuses them).
   */
  | { kind: 'body-namespace'; right: Right }
  /** The room the job or batch id `of` names. */
  | { kind: 'id'; of: (request: RequestView) => string | undefined }
  /**
   * Every room, their answers combined. A body, sent to each, is read only for a caller who holds
   * `right` on some namespace.
   */
  | { kind: 'all'; combine: Combine; right?: Right }
  /** Each room in turn until one knows the thing (answers other than 404). */
  | { kind: 'first' }
  /** A new volunteer's socket: where the host places it. */
  | { kind: 'new-volunteer' }
  /** One of the above, chosen per request. */
  | { kind: 'either'; pick: (request: RequestView) => Owner }

export const ANYWHERE: Owner = { kind: 'anywhere' }
export const HOME: Owner = { kind: 'home' }
export const FIRST_THAT_KNOWS: Owner = { kind: 'first' }
export const NEW_VOLUNTEER: Owner = { kind: 'new-volunteer' }

/** The namespace in path segment `index` (counted after the leading "/"). */
export const namespaceAt = (index: number): Owner => ({
  kind: 'namespace',
  of: (request) => request.segments[index],
})

/** The job or batch id in path segment `index`. */
export const idAt = (index: number): Owner => ({
  kind: 'id',
  of: (request) => request.segments[index],
})

export const bodyNamespace = (right: Right): Owner => ({ kind: 'body-namespace', right })

export const everyRoom = (combine: Combine, right?: Right): Owner => ({
  kind: 'all',
  combine,
  ...(right && { right }),
})

/** The namespace in query parameter `name` when there is one, else `otherwise`. */
export const namespaceInQuery = (name: string, otherwise: Owner): Owner => ({
  kind: 'either',
  pick: (request) => {
    const namespace = request.query.get(name)
    return namespace === null ? otherwise : { kind: 'namespace', of: () => namespace }
  },
})

export const either = (pick: (request: RequestView) => Owner): Owner => ({ kind: 'either', pick })
