/**
 * Peer orchestrators as a placement beside the volunteer pool (placement/placement.ts): a job no
 * volunteer here can run, or one that waited here past `forwardAfterMs`, goes to the best peer
 * whose announcement fits, under a lease (outgoing-lease.ts). Work that must stay here (function
 * calls, work forwarded to us: one hop only, and jobs that require a trusted executor) never does.
 */
import type { Announcement } from '../../../shared/protocol/federation'
import type { Runtime } from '../../../shared/protocol/job'
import type {
  Attempt,
  AttemptRef,
  LostCause,
  Placement,
  PlacementEvents,
  Report,
  Site,
} from '../placement/placement'
import type { Task, WorkSpec } from '../placement/work'
import { OutgoingLease, type LeaseHost } from './outgoing-lease'
import { PeerSite } from './peer-site'

/** What the placement asks of the orchestrator around it. */
export interface PeerPlacementHost extends Omit<
  LeaseHost,
  'started' | 'reported' | 'lost' | 'holdMs' | 'dropHoldMs'
> {
  /** Whether a volunteer here runs this runtime (then work waits here first). */
  runsHere(runtime: Runtime): boolean
  /** Whether a site here could run this very work. */
  fitsHere(work: WorkSpec): boolean
  /** When the oldest job of this runtime that may leave began to wait, if one waits. */
  oldestWaiting(runtime: Runtime): number | undefined
  /** Work waiting here longer than this goes to a peer that can take it; undefined: never. */
  forwardAfterMs: number | undefined
  /** Whether we may send work to this peer (the allow list). */
  mayTake(peer: string): boolean
  /** Our peer id, which a peer's allow list must name. */
  self(): string
}

/** A peer that refused an offer gets no work for this long. */
const REFUSAL_HOLD_MS = 5_000
/** A peer that broke the protocol or let a lease lapse gets none for this long. */
const DROP_HOLD_MS = 60_000
/** How often sites are reminded to look in the queue for work that waited too long. */
const OVERDUE_LOOK_MS = 250

export class PeerPlacement implements Placement {
  private readonly sites = new Map<string, PeerSite>()
  private readonly leases = new Map<string, OutgoingLease>()
  private nextLook = 0
  private readonly leaseHost: LeaseHost

  constructor(
    private readonly events: PlacementEvents,
    private readonly host: PeerPlacementHost,
  ) {
    this.leaseHost = {
      ...host,
      holdMs: REFUSAL_HOLD_MS,
      dropHoldMs: DROP_HOLD_MS,
      started: (lease) => events.started(lease.attempt, Date.now()),
      reported: (lease, report) => this.reported(lease, report),
      lost: (lease, cause) => this.lost(lease, cause),
    }
  }

  /** A peer's announcement: it is a site from now on (while it accepts our work). */
  announced(peer: string, announcement: Announcement): void {
    let site = this.sites.get(peer)
    if (!site) {
      site = new PeerSite(peer, {
        forwardable: (runtime) => this.forwardable(runtime),
        fitsHere: (work) => this.host.fitsHere(work),
      })
      this.sites.set(peer, site)
    }
    site.announcement = announcement
    site.accepts =
      this.host.mayTake(peer) &&
      (!announcement.allow || announcement.allow.includes(this.host.self()))
    if (site.room > 0) this.events.room(site, this)
  }

  /** A peer left: what it ran for us runs elsewhere. */
  left(peer: string): void {
    const site = this.sites.get(peer)
    if (!site) return
    this.sites.delete(peer)
    for (const lease of this.leasesOf(site)) lease.expire(Infinity)
    this.events.left(site)
  }

  /** The peers as sites, for the API. */
  peerSites(): Iterable<PeerSite> {
    return this.sites.values()
  }

  /**
   * Asked of function calls (see InvocationTable), which always stay here, and of native runs
   * before they are queued: a peer's runner may fit where none here does.
   */
  canRun(work: WorkSpec): boolean {
    if (!work.native) return false
    for (const site of this.sites.values()) if (site.fits(work)) return true
    return false
  }

  offer(work: WorkSpec, admit?: (site: Site) => boolean): Site | undefined {
    let best: PeerSite | undefined
    for (const site of this.sites.values()) {
      if (site.room === 0 || !site.fits(work) || (admit && !admit(site))) continue
      if (!best || site.score > best.score) best = site
    }
    return best
  }

  run(attempt: Attempt, task: Task, ready?: Promise<void>): void {
    const site = attempt.site as PeerSite
    const lease = new OutgoingLease(attempt, task, site, this.leaseHost, Date.now())
    site.running.set(attempt.id, task.timeout_ms)
    this.leases.set(attempt.id, lease)
    void lease.run(ready)
  }

  cancel(ref: AttemptRef, reason: 'cancelled' | 'timeout'): void {
    const lease = this.leases.get(ref.id)
    if (!lease || lease.attempt.attempt !== ref.attempt) return
    lease.cancel(reason)
    this.end(lease)
  }

  site(id: string): Site | undefined {
    for (const site of this.sites.values()) if (site.id === id) return site
    return undefined
  }

  wakeAt(): number | undefined {
    return this.sites.size > 0 ? this.nextLook : undefined
  }

  tick(now: number): void {
    for (const lease of [...this.leases.values()]) lease.expire(now)
    if (now < this.nextLook) return
    this.nextLook = now + OVERDUE_LOOK_MS
    // Work that waited past forwardAfterMs may leave now: sites with room look for it.
    if (this.host.forwardAfterMs !== undefined)
      for (const site of this.sites.values()) if (site.room > 0) this.events.room(site, this)
  }

  /** Whether work of this runtime may go to peers now (see the header). */
  private forwardable(runtime: Runtime): boolean {
    if (!this.host.runsHere(runtime)) return true
    const after = this.host.forwardAfterMs
    if (after === undefined) return false
    const since = this.host.oldestWaiting(runtime)
    return since !== undefined && Date.now() - since >= after
  }

  private reported(lease: OutgoingLease, report: Report): void {
    this.end(lease)
    this.events.reported(lease.attempt, report, Date.now())
    if (lease.site.room > 0 && this.sites.has(lease.site.peer)) this.events.room(lease.site, this)
  }

  private lost(lease: OutgoingLease, cause: LostCause): void {
    this.end(lease)
    this.events.lost(lease.attempt, cause, Date.now())
  }

  private end(lease: OutgoingLease): void {
    if (this.leases.get(lease.attempt.id) === lease) this.leases.delete(lease.attempt.id)
    lease.site.running.delete(lease.attempt.id)
  }

  private *leasesOf(site: PeerSite): Generator<OutgoingLease> {
    for (const lease of [...this.leases.values()]) if (lease.site === site) yield lease
  }
}
