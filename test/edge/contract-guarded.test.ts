/**
 * The guarded contract (auth on, no volunteer) against the Worker under workerd, over two job
 * rooms: each check is tried in a namespace of room 0, where tokens live, and in one of room 1,
 * which asks room 0 about them.
 */
import { roomOf } from '../../edge/workers/room-routing'
import { describeGuardedContract } from '../contract/guarded-contract'
import { startEdge } from '../helpers/edge-process'

const ROOMS = 2
const ADMIN = 'edge-guarded-admin-token-0123456789'
const SECRET = 'edge-guarded-token-secret-0123456789abcdef'

/** The first `guarded-{i}` namespace that lands in `room`. */
function namespaceIn(room: number): string {
  for (let i = 0; ; i++) if (roomOf(`guarded-${i}`, ROOMS) === room) return `guarded-${i}`
}

describeGuardedContract('Workers (workerd)', async () => {
  const edge = await startEdge({
    rooms: ROOMS,
    vars: { AUTH: 'on', ADMIN_TOKEN: ADMIN, TOKEN_SECRET: SECRET },
  })
  return {
    url: edge.url,
    admin: ADMIN,
    secret: new TextEncoder().encode(SECRET),
    namespaces: [namespaceIn(0), namespaceIn(1)],
    stop: async () => {
      if (process.env.ZV_DEBUG) console.log(edge.output())
      await edge.dispose()
    },
  }
})
