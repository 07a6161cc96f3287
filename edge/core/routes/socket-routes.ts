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
  .get(
    '/ws/upload',
    {
      owner: HOME,
      doc: {
        summary: 'WebSocket: chunked upload of a standalone service',
        description:
          'Upgrade to a WebSocket; the frames are described in the services documentation.',
        tag: 'Sockets',
        access: 'open',
        responses: {
          101: { description: 'Switched to the WebSocket protocol' },
          426: { description: 'UPGRADE_REQUIRED: not a WebSocket upgrade' },
        },
      },
    },
    (c, { uploadSocket }) =>
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
    {
      owner: either((r) => (r.query.get('role') === 'runner' ? HOME : NEW_VOLUNTEER)),
      doc: {
        summary: 'WebSocket: volunteers and runners connect here',
        description:
          'The volunteer protocol (shared/protocol/frames.ts). `?token=` offers a volunteer token; `?role=runner` for zerverless-runner.',
        tag: 'Sockets',
        access: 'open',
        responses: {
          101: { description: 'Switched to the WebSocket protocol' },
          426: { description: 'UPGRADE_REQUIRED: not a WebSocket upgrade' },
        },
      },
    },
    (c, { volunteerSocket }) =>
      upgrade(c, volunteerSocket, 'this endpoint takes WebSocket connections from volunteers'),
  )
