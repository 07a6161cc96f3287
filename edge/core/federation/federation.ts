/**
 * Federation, put together: the peer placement (our work on peers), forwarded work (peers' work
 * here), the directory of peers and what we announce to them, over a mesh the host attaches (the
 * Node host's libp2p node; the Workers host has none and stays out of the mesh).
 */
import { Announcement } from '../../../shared/protocol/federation'
import type { HostCall, HostReply } from '../../../shared/protocol/host-call'
import type { Scheduler } from '../jobs/scheduler'
import { dbRefusal, FULL_DB, type DbAccess } from '../kv/db-access'
import type { PlacementEvents } from '../placement/placement'
import type { VolunteerHub } from '../volunteers/volunteer-hub'
import type { JobScope } from '../volunteers/volunteer-session'
import type { VolunteerPool } from '../volunteers/volunteer-pool'
import { announce } from './announcements'
import { ForwardedWork } from './forwarded-work'
import { ForwardedServices } from './forwarded-service'
import type { JobRecord } from '../jobs/job-record'
import type { NativeNeeds, WorkSpec } from '../placement/work'
import type { JobOutputs } from '../services/job-outputs'
import type { ServiceStore } from '../services/service-store'
import type { FileStore } from '../storage/file-store'
import { isForwarded } from './forwarded-namespace'
import type { Mesh } from './mesh'
import { PeerDirectory } from './peer-directory'
import { PeerPlacement } from './peer-placement'
import type { PeerSite } from './peer-site'
import { peerView } from './peer-view'
import { StreamPool } from './stream-pool'

export interface FederationSettings {
  /** Work waiting here longer than this goes to a peer that can run it; absent: only work nobody here can run. */
  forwardAfterMs?: number | undefined
  /** The only peers we send work to and take work from; absent: any peer. */
  allow?: readonly string[] | undefined
  /** How long a peer running our job may stay silent. */
  leaseMs?: number
  announceEveryMs?: number
  /** Forwarded jobs one peer may have here at once, and offers a second it may make. */
  maxPerPeer?: number
  peerRate?: { rate: number; burst: number }
}

/** What federation uses of the orchestrator around it. */
export interface FederationDeps {
  /** The scheduler, once made (the peer placement is made while it is: see `placement`). */
  jobs: () => Scheduler
  pool: () => VolunteerPool
  hub: () => Pick<VolunteerHub, 'connected' | 'size'>
  answer: (scope: JobScope, call: HostCall) => HostReply
  sha256: (text: string) => string | Promise<string>
  /** Peers are trusted with a job's whole namespace (auth off, or named on the allow list). */
  trustAll: boolean
  /** Native runs across the mesh, where the host keeps services' files and jobs' outputs. */
  native?: NativeFiles | undefined
}

/** What native runs across the mesh read and write here. */
interface NativeFiles {
  services: Pick<ServiceStore, 'get' | 'byName' | 'insert'>
  serviceFiles: FileStore
  outputs: JobOutputs
  maxFileBytes: number
  /** A native job's needs (its service's runner and requirements). */
  needs(job: JobRecord): NativeNeeds | undefined
}

export class Federation {
  readonly directory = new PeerDirectory()
  readonly work: ForwardedWork
  private placementMade: PeerPlacement | undefined
  private mesh: Mesh | undefined
  private readonly streams = new StreamPool((peer) => this.connectedMesh().open(peer))
  private nextAnnounce = 0
  private readonly allow: ReadonlySet<string> | undefined
  private readonly leaseMs: number
  private readonly announceEveryMs: number

  constructor(
    private readonly settings: FederationSettings,
    private readonly deps: FederationDeps,
  ) {
    this.allow = settings.allow && new Set(settings.allow)
    this.leaseMs = settings.leaseMs ?? 15_000
    this.announceEveryMs = settings.announceEveryMs ?? 2_000
    const { jobs } = deps
    this.work = new ForwardedWork({
      submit: (job) => {
        const [record] = jobs().submit([job])
        if (!record) throw new Error('the job was not stored')
        return record
      },
      cancel: (id) => void jobs().cancel(id),
      get: (id) => jobs().get(id),
      sha256: deps.sha256,
      putModule: (cid, bytes) => void jobs().putModule(cid, bytes),
      hasModule: (cid) => jobs().hasModule(cid),
      knownCode: (hash) => jobs().knownCode(hash),
      services:
        deps.native &&
        new ForwardedServices({
          store: deps.native.services,
          files: deps.native.serviceFiles,
          maxFileBytes: deps.native.maxFileBytes,
          sha256: deps.sha256,
        }),
      outputs: deps.native?.outputs,
      mayGive: (peer) => this.allowed(peer),
      runsHere: (work) => deps.pool().canRun(work),
      maxPerPeer: settings.maxPerPeer ?? 256,
      rate: settings.peerRate ?? { rate: 5_000, burst: 10_000 },
    })
  }

  /** A job ended here: if a peer forwarded it, the peer hears (see Scheduler.onFinished). */
  finished(job: { id: string; namespace: string }): void {
    if (isForwarded(job.namespace)) this.work.finished(job.id)
  }

  /** The peer placement, made once with the scheduler's events (see Scheduler's factory). */
  placement(events: PlacementEvents): PeerPlacement {
    const { deps } = this
    this.placementMade ??= new PeerPlacement(events, {
      self: () => this.mesh?.self ?? '',
      open: (peer, offer) => this.streams.send(peer, offer),
      release: (stream) => this.streams.release(stream),
      answer: deps.answer,
      access: (site, attempt) => this.access(site, attempt.untrustedDb),
      sha256: deps.sha256,
      module: (cid) => Promise.resolve(deps.jobs().module(cid)),
      requirements: (jobId) => {
        const job = deps.jobs().get(jobId)
        return job && deps.native?.needs(job)?.requirements
      },
      serviceFile: async (serviceId, path) => {
        const service = deps.native?.services.get(serviceId)
        return service && deps.native?.serviceFiles.read(service.name, path)
      },
      saveOutput: async (jobId, attempt, name, body) => {
        if (!deps.native) throw new Error('this orchestrator keeps no outputs')
        return deps.native.outputs.put(jobId, attempt, name, body)
      },
      fitsHere: (work) => deps.pool().canRun(work),
      leaseMs: this.leaseMs,
      runsHere: (runtime) => deps.pool().canRun({ runtime, namespace: '' }),
      oldestWaiting: (runtime) => {
        const entry = deps.jobs().pending.peek(runtime)
        return entry && (entry.queuedAt ?? 0)
      },
      forwardAfterMs: this.settings.forwardAfterMs,
      mayTake: (peer) => this.allowed(peer),
    })
    return this.placementMade
  }

  /** The host's mesh: from now on this orchestrator is a peer. */
  attach(mesh: Mesh): void {
    this.mesh = mesh
    mesh.onPeer(({ peer, addresses, status }) => {
      const now = Date.now()
      if (status === 'connected') {
        this.directory.connected(peer, addresses, now)
        this.nextAnnounce = 0
      } else {
        this.directory.disconnected(peer, now)
        this.streams.forget(peer)
        this.placementMade?.left(peer)
      }
    })
    mesh.onAnnouncement((peer, raw) => {
      const parsed = Announcement.safeParse(raw)
      // One still in flight when its peer left must not bring the peer back as a site.
      if (!parsed.success || this.directory.get(peer)?.status !== 'connected') return
      this.directory.announced(peer, parsed.data, Date.now())
      this.placementMade?.announced(peer, parsed.data)
    })
    mesh.onStream((stream) => void this.work.accept(stream))
    for (const peer of mesh.connected())
      this.directory.connected(peer.peer, peer.addresses, Date.now())
  }

  get self(): string | undefined {
    return this.mesh?.self
  }

  addresses(): string[] {
    return this.mesh?.addresses() ?? []
  }

  /** The clock: announcements every few seconds, signs of life for peers' jobs here. */
  tick(now: number): void {
    if (!this.mesh) return
    this.work.heartbeat(now)
    if (now < this.nextAnnounce) return
    this.nextAnnounce = now + this.announceEveryMs
    const { jobs, hub } = this.deps
    this.mesh.announce(announce(hub(), jobs().statusCounts().pending, this.settings.allow))
  }

  /** A guest's `db` call in a job a peer forwarded here: checked here, answered by the origin. */
  relay(scope: JobScope, call: HostCall): Promise<HostReply> {
    const refusal = dbRefusal(scope.db, call)
    if (refusal) return Promise.resolve({ ok: false, error: refusal })
    return this.work.relay(scope.jobId, call)
  }

  async dial(address: string): Promise<string> {
    return this.connectedMesh().dial(address)
  }

  async ban(peer: string): Promise<void> {
    await this.connectedMesh().ban(peer)
    this.directory.banned(peer, Date.now())
    this.streams.forget(peer)
    this.placementMade?.left(peer)
  }

  /** Whether a peer could run this work (a native run no runner here fits). */
  canTake(work: WorkSpec): boolean {
    return this.placementMade?.canRun(work) ?? false
  }

  /** The peers this orchestrator knows, as the API shows them. */
  peers(now = Date.now()) {
    const sites = new Map<string, PeerSite>()
    for (const site of this.placementMade?.peerSites() ?? []) sites.set(site.peer, site)
    const reputation = this.deps.jobs().reputation
    return this.directory.list(now).map((peer) => {
      const site = sites.get(peer.id)
      return peerView(peer, site, reputation.of(`orch:${peer.id}`), this.work.runningFor(peer.id))
    })
  }

  private connectedMesh(): Mesh {
    if (!this.mesh) throw new Error('this orchestrator is not in a mesh')
    return this.mesh
  }

  private allowed(peer: string): boolean {
    return !this.allow || this.allow.has(peer)
  }

  /** What a peer's guest may reach of the job's namespace: all of it only for a trusted peer. */
  private access(site: PeerSite, untrustedDb: DbAccess): DbAccess {
    const trusted = this.deps.trustAll || (this.allow?.has(site.peer) ?? false)
    return trusted ? FULL_DB : untrustedDb
  }
}
