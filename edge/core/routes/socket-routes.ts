/**
 * `/ws/volunteer` and `/ws/upload`: WebSocket upgrades the host accepts (each host holds sockets
 * its own way); anything that is not an upgrade is told so with 426.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { either, HOME, NEW_VOLUNTEER } from '../rooms/owner'
import { RouteTable } from './route-table'

export interface SocketRouteDeps {
  /** Accepts a volunteer's WebSocket upgrade on `/ws/volunteer`. */
  volunteerSocket: MiddlewareHandler | undefined
  /** Accepts a standalone-service upload socket on `/ws/upload`. */
  uploadSocket: MiddlewareHandler | undefined
}

/** The host's upgrade, or 426 for a request that is none (or one the host did not take). */
async function upgrade(
  c: Context,
  accept: MiddlewareHandler | undefined,
  error: string,
): Promise<Response> {
  if (accept && c.req.header('upgrade')?.toLowerCase() === 'websocket') {
    const upgraded = await accept(c, async () => {})
    if (upgraded) return upgraded
  }
  return c.json({ error, code: 'UPGRADE_REQUIRED' }, 426)
}

export const socketRoutes = new RouteTable<SocketRouteDeps>()
  // Uploads complete services, which live in the home room.
  .get('/ws/upload', { owner: HOME }, (c, { uploadSocket }) =>
    upgrade(
      c,
      uploadSocket,
      'this endpoint takes WebSocket connections for chunked service uploads',
    ),
  )
  // Who a volunteer is (and whether it may connect at all) is decided at its hello, from the
  // token it offers here or there: runners send theirs in the hello (volunteers/executor-identity.ts).
  // Runners join the home room, beside the services they run; the host places other volunteers.
  .get(
    '/ws/volunteer',
    { owner: either((r) => (r.query.get('role') === 'runner' ? HOME : NEW_VOLUNTEER)) },
    (c, { volunteerSocket }) =>
      upgrade(c, volunteerSocket, 'this endpoint takes WebSocket connections from volunteers'),
  )
