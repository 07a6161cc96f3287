/**
 * The core's `Rooms` on Cloudflare: job rooms are Durable Objects named `room-{n}`, a namespace's
 * room is its hash, an id names its own, and the balancer places new volunteers.
 */
import type { RemoteRoom, Rooms } from '../core/rooms/rooms'
import { roomCount, type Env } from './env'
import { forward } from './room-forwarding'
import { roomOf, roomOfId } from './room-routing'

/** The job rooms of this deployment (`ROOMS` of them), as the core asks for them. */
export function durableObjectRooms(env: Env): Rooms {
  const count = roomCount(env)
  const rooms: RemoteRoom[] = Array.from({ length: count }, (_, index) => ({
    fetch: (request) => forward(env, index, request),
  }))
  const room = (index: number) => rooms[index] as RemoteRoom
  // Stubs are made per call, inside the request that uses them.
  const balancer = () => env.BALANCER.get(env.BALANCER.idFromName('balancer'))
  return {
    namespace: (namespace) => room(roomOf(namespace, count)),
    id: (id) => room(roomOfId(id, count) ?? 0),
    home: () => room(0),
    all: () => rooms,
    volunteer: async () => room(await balancer().place()),
  }
}
