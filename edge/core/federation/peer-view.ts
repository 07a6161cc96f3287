/** A known orchestrator as `GET /api/federation/peers` shows it. */
import type { KnownPeer } from './peer-directory'
import type { PeerSite } from './peer-site'

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

export function peerView(
  peer: KnownPeer,
  site: PeerSite | undefined,
  standing: { agreed: number; disagreed: number; score: number; trusted: boolean },
  runningHere: number,
) {
  const a = peer.announcement
  return {
    id: peer.id,
    addresses: peer.addresses,
    status: peer.status,
    connected_since: iso(peer.connectedSince),
    last_seen: iso(peer.lastSeen),
    volunteers: a?.volunteers ?? { connected: 0, idle: 0 },
    pending_jobs: a?.pending_jobs ?? 0,
    load: a?.load ?? null,
    runtimes: a?.runtimes ?? [],
    native: a?.native ?? [],
    /** Whether our work may go there (both allow lists), and what runs there for us now. */
    takes_our_work: site?.accepts ?? false,
    running_ours: site?.running.size ?? 0,
    running_theirs: runningHere,
    reputation: standing,
  }
}
