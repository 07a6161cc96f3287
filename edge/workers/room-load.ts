/**
 * What a job room tells the balancer, and which of its volunteers it may give away: one rule for
 * both, so that every volunteer the balancer counts as idle is one `release` would really move.
 */
import type { Orchestrator } from '../core/orchestrator'
import type { VolunteerSession } from '../core/volunteers/volunteer-session'
import type { RoomLoad } from './room-rpc'

/**
 * A volunteer that runs nothing and could go to another room. One running a job is not, though a
 * free prefetch slot lets it take more here: were it counted idle, its room's load would read the
 * same before, during and after the job, so the room would never report the moment it can move.
 * A runner peer is not either: its peer id and services tie it to its room.
 */
export function isMovable(session: VolunteerSession): boolean {
  return (
    session.state === 'active' &&
    !session.peer &&
    session.running.size === 0 &&
    session.freeSlots > 0
  )
}

/** The room's load: its volunteers, how many of them are movable, and the work waiting. */
export function roomLoad(room: number, { hub, scheduler }: Orchestrator): RoomLoad {
  let idle = 0
  for (const session of hub.connected) if (isMovable(session)) idle++
  return {
    room,
    volunteers: hub.size,
    idle,
    pending: scheduler.pending.size + scheduler.native.size,
  }
}

/** Work waits and no volunteer here is free to take it: the room needs one from elsewhere. */
export function isNeedy(load: RoomLoad): boolean {
  return load.pending > 0 && load.idle === 0
}
