/**
 * Reputation per volunteer, from redundant jobs only: once a job's copies agree, every answer it
 * received (all rounds) is judged against the agreed one. Volunteers in bad standing get no more
 * redundant copies; ordinary jobs are unaffected, so redundancy-1 dispatch pays nothing for this.
 */
import type { VolunteerSession } from '../volunteers/volunteer-session'

export interface Standing {
  agreed: number
  disagreed: number
}

export interface ReputationView extends Standing {
  /** (agreed + 1) / (agreed + disagreed + 2): 0.5 for a newcomer, towards 1 for honest ones. */
  score: number
  /** False once it disagreed more often than it agreed: it gets no redundant copies. */
  trusted: boolean
}

/**
 * Who a volunteer is for distinctness and reputation: a runner's lasting peer id (kept in its data
 * directory, so a reconnecting runner is still itself), else the connection's session id.
 */
export function volunteerKey(session: VolunteerSession): string {
  return session.peer ? `peer:${session.peer.id}` : session.id
}

export class Reputation {
  private readonly standing = new Map<string, Standing>()

  of(key: string): ReputationView {
    const { agreed, disagreed } = this.standing.get(key) ?? { agreed: 0, disagreed: 0 }
    return {
      agreed,
      disagreed,
      score: Math.round(((agreed + 1) / (agreed + disagreed + 2)) * 1000) / 1000,
      trusted: disagreed <= agreed,
    }
  }

  trusted(key: string): boolean {
    const s = this.standing.get(key)
    return !s || s.disagreed <= s.agreed
  }

  note(key: string, agreed: boolean): void {
    let s = this.standing.get(key)
    if (!s) this.standing.set(key, (s = { agreed: 0, disagreed: 0 }))
    if (agreed) s.agreed++
    else s.disagreed++
  }

  /** A session-keyed volunteer left: its key never comes back, so its standing goes too. */
  forget(session: VolunteerSession): void {
    if (!session.peer) this.standing.delete(session.id)
  }
}
