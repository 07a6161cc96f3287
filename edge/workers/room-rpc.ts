/**
 * What the Worker and the Durable Objects call on each other, as types only: the bindings in
 * env.ts name these, not the classes, so that no module of the host imports another in a circle.
 */
import type { TokenGrant } from '../core/auth/authenticator'

/** A job room's load, as it reports it to the balancer. */
export interface RoomLoad {
  room: number
  volunteers: number
  /** Volunteers with a free slot. */
  idle: number
  /** Jobs and function calls waiting for a volunteer. */
  pending: number
  /** A function call found nobody who could run it and waits for a volunteer. */
  wanted: boolean
}

/** A job room (job-room.ts): requests forwarded by the Worker, and RPC from the other objects. */
export interface JobRoomRpc extends Rpc.DurableObjectBranded {
  fetch(request: Request): Promise<Response>
  /** Closes up to `count` idle volunteers so they reconnect where work is; how many it closed. */
  release(count: number): number
  /** What was issued under an API token id (room 0 keeps them); null when nothing was. */
  tokenGrant(id: string): TokenGrant | null
  load(): RoomLoad
}

/** The balancer (balancer.ts): places new volunteers, hears the rooms' loads. */
export interface BalancerRpc extends Rpc.DurableObjectBranded {
  /** The room a new volunteer should join. */
  place(): number
  report(load: RoomLoad): Promise<void>
  /** What the balancer believes, room by room. */
  loads(): RoomLoad[]
}
