/**
 * Places volunteers in job rooms. Rooms report their load (volunteers, idle ones, pending work)
 * when it changes; a new volunteer goes to a room that summoned one for a function call, else
 * where pending work per volunteer is highest (the emptiest room when none has work). When a room
 * has work but no idle volunteer, rooms with idle volunteers and no work are asked to release
 * some, which reconnect and are placed here again. It only holds soft state: after an eviction
 * the next reports rebuild it (a room that needs a volunteer repeats its report until it has one).
 */
import { DurableObject } from 'cloudflare:workers'
import type { WorkSpec } from '../core/placement/work'
import { roomCount, type Env } from './env'
import type { BalancerRpc, JobRoomRpc, RoomLoad } from './room-rpc'

/** Most volunteers moved toward one room per report, so a burst does not empty the others. */
const MAX_MOVE = 8
/** A room that was sent volunteers is not sent more until they had time to arrive. */
const MOVE_COOLDOWN_MS = 500
/** How long a volunteer released for a summoning room is kept for it (its call waits 5 s). */
const SUMMON_HOLD_MS = 5_000

export class Balancer extends DurableObject<Env> implements BalancerRpc {
  readonly #loads = new Map<number, RoomLoad>()
  readonly #movedAt = new Map<number, number>()
  /** Rooms a volunteer was released for, oldest first: the next volunteers to connect go there. */
  #summoned: { room: number; until: number }[] = []
  #retry: ReturnType<typeof setTimeout> | undefined

  /** The room a new volunteer should join. */
  place(): number {
    const now = Date.now()
    this.#summoned = this.#summoned.filter((s) => s.until > now)
    const best = this.#summoned.shift()?.room ?? this.#busiest()
    // Count it now: the room's own report follows later.
    const chosen = this.#loads.get(best) ?? empty(best)
    this.#loads.set(best, { ...chosen, volunteers: chosen.volunteers + 1, idle: chosen.idle + 1 })
    return best
  }

  async report(load: RoomLoad): Promise<void> {
    this.#loads.set(load.room, load)
    await this.#rebalance()
  }

  /**
   * Asks the other rooms, those with the most idle volunteers first, to release one that can run
   * `work`; a room that reported no volunteer at all is not asked (one that never reported is).
   */
  async summon(room: number, work: WorkSpec): Promise<boolean> {
    const donors = Array.from({ length: roomCount(this.env) }, (_, r) => r)
      .filter((r) => r !== room && (this.#loads.get(r)?.volunteers ?? 1) > 0)
      .sort((a, b) => (this.#loads.get(b)?.idle ?? 1) - (this.#loads.get(a)?.idle ?? 1))
    for (const donor of donors) {
      const released = await this.#room(donor)
        .release(donor, 1, work)
        .catch(() => 0)
      if (released === 0) continue
      const load = this.#loads.get(donor) ?? empty(donor)
      this.#loads.set(donor, {
        ...load,
        volunteers: Math.max(0, load.volunteers - released),
        idle: Math.max(0, load.idle - released),
      })
      this.#summoned.push({ room, until: Date.now() + SUMMON_HOLD_MS })
      return true
    }
    return false
  }

  /** The room with the most pending work per volunteer; the one with fewest volunteers on a tie. */
  #busiest(): number {
    const rooms = roomCount(this.env)
    let best = 0
    let bestScore = -1
    let bestCount = Infinity
    for (let room = 0; room < rooms; room++) {
      const load = this.#loads.get(room) ?? empty(room)
      const score = load.pending / (load.volunteers + 1)
      if (score > bestScore || (score === bestScore && load.volunteers < bestCount)) {
        best = room
        bestScore = score
        bestCount = load.volunteers
      }
    }
    return best
  }

  /**
   * Moves idle volunteers from rooms with nothing to do toward rooms where work waits, the most
   * loaded first. Any report may free a donor or reveal a need, so every report looks again; a
   * room still cooling down from a move is looked at again when its cooldown ends.
   */
  async #rebalance(): Promise<void> {
    const now = Date.now()
    const needy = [...this.#loads.values()]
      .filter((l) => l.idle === 0 && l.pending > 0)
      .sort((a, b) => b.pending - a.pending)
    for (const load of needy) {
      const cooling = MOVE_COOLDOWN_MS - (now - (this.#movedAt.get(load.room) ?? 0))
      if (cooling > 0) {
        this.#retryIn(cooling)
        continue
      }
      const donor = this.#donor(load.room)
      if (!donor) return
      const count = Math.max(
        1,
        Math.min(MAX_MOVE, Math.ceil(Math.min(load.pending, donor.idle) / 2)),
      )
      this.#movedAt.set(load.room, now)
      // A donor that cannot be reached frees no one; its next report says where it stands.
      const released = await this.#room(donor.room)
        .release(donor.room, count)
        .catch(() => 0)
      this.#loads.set(donor.room, {
        ...donor,
        volunteers: donor.volunteers - released,
        idle: donor.idle - released,
      })
      // The donor had nobody to give (a placed volunteer that never came, one busy since): its
      // report puts that right, and the need is looked at again once this move cooled down.
      if (released === 0) this.#retryIn(MOVE_COOLDOWN_MS)
    }
  }

  #retryIn(ms: number): void {
    if (this.#retry) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      void this.#rebalance()
    }, ms)
  }

  /** RPC for `/stats` and tests: what the balancer believes. */
  loads(): RoomLoad[] {
    return [...this.#loads.values()].sort((a, b) => a.room - b.room)
  }

  /** The room with the most idle volunteers and nothing waiting. */
  #donor(needy: number): RoomLoad | undefined {
    let donor: RoomLoad | undefined
    for (const load of this.#loads.values()) {
      if (load.room === needy || load.pending > 0 || load.idle === 0) continue
      if (!donor || load.idle > donor.idle) donor = load
    }
    return donor
  }

  #room(room: number): DurableObjectStub<JobRoomRpc> {
    return this.env.JOB_ROOMS.get(this.env.JOB_ROOMS.idFromName(`room-${room}`))
  }
}

const empty = (room: number): RoomLoad => ({ room, volunteers: 0, idle: 0, pending: 0 })
