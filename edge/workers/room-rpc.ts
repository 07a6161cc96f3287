/**
 * What the Worker and the Durable Objects call on each other, as types only: the bindings in
 * env.ts name these, not the classes, so that no module of the host imports another in a circle.
 */
import type { TokenGrant } from '../core/auth/authenticator'
import type { WorkSpec } from '../core/placement/work'

/** A job room's load, as it reports it to the balancer. */
export interface RoomLoad {
  room: number
  volunteers: number
  /** Volunteers running nothing that could move to another room (room-load.ts). */
  idle: number
  /** Jobs and function calls waiting for a volunteer. */
  pending: number
}

/** A job room (job-room.ts): requests forwarded by the Worker, and RPC from the other objects. */
export interface JobRoomRpc extends Rpc.DurableObjectBranded {
  /** A request with a body to stream, or a WebSocket upgrade; the room's number in a header. */
  fetch(request: Request): Promise<Response>
  /**
   * A request whose body (if any) is already in memory, as an RPC call: unlike `fetch`, it is not
   * an HTTP subrequest, which `wrangler dev` reports to its inspector at ~2 ms of CPU each.
   */
  serve(request: Request, room: number): Promise<Response>
  /**
   * Closes up to `count` idle volunteers of job room `room` (that can run `work`, when given) so
   * they reconnect where work is; how many it closed.
   */
  release(room: number, count: number, work?: WorkSpec): number
  /** What was issued under an API token id (room 0 keeps them); null when nothing was. */
  tokenGrant(id: string): TokenGrant | null
  load(): RoomLoad
}

/** The balancer (balancer.ts): places new volunteers, hears the rooms' loads. */
export interface BalancerRpc extends Rpc.DurableObjectBranded {
  /** The room a new volunteer should join. */
  place(): number
  report(load: RoomLoad): Promise<void>
  /**
   * A function call in `room` that no volunteer there can run: moves there an idle volunteer of
   * another room that can; false when none exists (the room answers 503 at once).
   */
  summon(room: number, work: WorkSpec): Promise<boolean>
  /** What the balancer believes, room by room. */
  loads(): RoomLoad[]
}
