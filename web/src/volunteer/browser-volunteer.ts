/**
 * This tab as a volunteer: one VolunteerAgent on `/ws/volunteer` and a pool of sandbox Web
 * Workers, started, paused and resized as the volunteer's settings and the tab's visibility say.
 * Pausing drains: jobs already running finish and are reported, no new ones arrive.
 */
import {
  VolunteerAgent,
  type AgentEvent,
  type SocketLike,
} from '../../../shared/agent/volunteer-agent'
import { SandboxPool } from '../../../shared/sandbox/sandbox-pool'
import { VERSION } from '../../../shared/protocol/version'
import { BROWSER_RUNTIMES } from '../compute/compute-api'
import { spawnWebWorker } from '../compute/web-sandbox'
import { SettingsStore, type Totals, type VolunteerSettings } from './settings'
import { CPU_SAMPLE_MS } from './cpu-series'
import { advance, initialView, reduce, sample, type VolunteerView } from './volunteer-view'

/** A Web Worker's native stack is about 1 MiB: QuickJS gets 1/16 of it. */
const GUEST_STACK_BYTES = 64 * 1024
const MEMORY_MB = 128
/** The most the protocol lets a volunteer ask for beyond its concurrency. */
const MAX_PREFETCH = 8

export interface VolunteerSnapshot {
  view: VolunteerView
  settings: VolunteerSettings
  totals: Totals
  /** Whether the page may use SharedArrayBuffer (needed for guests' `db` calls). */
  isolated: boolean
  orchestrator: string
}

type Listener = (snapshot: VolunteerSnapshot) => void

export class BrowserVolunteer {
  private agent: VolunteerAgent | undefined
  private pool: SandboxPool | undefined
  private view = initialView(Date.now())
  private readonly listeners = new Set<Listener>()
  private saveTimer: ReturnType<typeof setTimeout> | undefined
  private emitTimer: ReturnType<typeof setTimeout> | undefined
  private readonly url: string

  private constructor(
    private readonly store: SettingsStore,
    private settings: VolunteerSettings,
    private totals: Totals,
  ) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    this.url = `${scheme}://${location.host}/ws/volunteer`
    document.addEventListener('visibilitychange', () => this.sync())
    // The charts move on even when no job finishes; the CPU plot takes its next point.
    setInterval(() => {
      const now = Date.now()
      this.setView(sample(advance(this.view, now), now))
    }, CPU_SAMPLE_MS)
  }

  static async start(): Promise<BrowserVolunteer> {
    const store = await SettingsStore.open()
    const { settings, totals } = await store.load()
    const volunteer = new BrowserVolunteer(store, settings, totals)
    volunteer.sync()
    return volunteer
  }

  get snapshot(): VolunteerSnapshot {
    return {
      view: this.view,
      settings: this.settings,
      totals: this.totals,
      isolated: globalThis.crossOriginIsolated === true,
      orchestrator: location.origin,
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    listener(this.snapshot)
    return () => this.listeners.delete(listener)
  }

  /** Applies and keeps the volunteer's choice; threads or namespaces take a fresh connection. */
  update(patch: Partial<VolunteerSettings>): void {
    const before = this.settings
    this.settings = { ...before, ...patch }
    void this.store.saveSettings(this.settings)
    if (patch.threads !== undefined && patch.threads !== before.threads) this.retire({ pool: true })
    else if (patch.namespaces && patch.namespaces.join() !== before.namespaces.join()) this.retire()
    this.sync()
    this.emit()
  }

  /** Connects when the settings and the tab's visibility want work, drains when they do not. */
  private sync(): void {
    const hidden = document.visibilityState === 'hidden' && !this.settings.background
    if (!this.settings.paused && !hidden) {
      if (!this.agent) this.connect()
      return
    }
    if (this.agent) this.retire()
    this.setView({ ...this.view, connection: this.settings.paused ? 'paused' : 'hidden' })
  }

  private connect(): void {
    this.pool ??= new SandboxPool({
      threads: this.settings.threads,
      spawn: spawnWebWorker,
      stackBytes: GUEST_STACK_BYTES,
      memoryBytes: MEMORY_MB << 20,
    })
    const agent: VolunteerAgent = new VolunteerAgent({
      url: this.url,
      connect: (url) => new WebSocket(url) as unknown as SocketLike,
      executor: this.pool,
      agent: { kind: 'browser', name: describeBrowser(), version: VERSION },
      capabilities: {
        runtimes: BROWSER_RUNTIMES,
        concurrency: this.settings.threads,
        // A job waits beside each running one, as beside each internal worker's thread: a thread
        // that finishes starts its next job at once instead of idling for a round trip.
        prefetch: Math.min(MAX_PREFETCH, this.settings.threads),
        memory_mb: MEMORY_MB,
        ...(this.settings.namespaces.length > 0 && { namespaces: this.settings.namespaces }),
      },
      onEvent: (event) => this.onEvent(agent, event),
    })
    this.agent = agent
    agent.start()
  }

  /** Lets the current agent finish its jobs and go; with `pool`, its threads go after them. */
  private retire(options: { pool?: boolean } = {}): void {
    const agent = this.agent
    const pool = options.pool ? this.pool : undefined
    this.agent = undefined
    if (options.pool) this.pool = undefined
    void (agent ? agent.drain() : Promise.resolve()).then(() => pool?.close())
  }

  private onEvent(agent: VolunteerAgent, event: AgentEvent): void {
    // A retired agent still reports the jobs it finishes, but no longer speaks for the connection.
    const connectionEvent =
      event.type === 'state' || event.type === 'welcome' || event.type === 'disconnected'
    if (connectionEvent && agent !== this.agent) return
    if (event.type === 'job-finished') {
      this.totals = {
        completed: this.totals.completed + (event.ok ? 1 : 0),
        failed: this.totals.failed + (event.ok ? 0 : 1),
        cpuMs: this.totals.cpuMs + event.durationMs,
      }
      this.saveTotalsSoon()
    }
    this.setView(reduce(this.view, event, Date.now()))
  }

  private saveTotalsSoon(): void {
    if (this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      void this.store.saveTotals(this.totals)
    }, 1000)
  }

  private setView(view: VolunteerView): void {
    this.view = view
    this.emitSoon()
  }

  /** At most ten redraws a second: a busy tab finishes hundreds of jobs a second. */
  private emitSoon(): void {
    if (this.emitTimer) return
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined
      this.emit()
    }, 100)
  }

  private emit(): void {
    const snapshot = this.snapshot
    for (const listener of this.listeners) listener(snapshot)
  }
}

/** "Chrome on Linux": enough for the operator's volunteer list, nothing identifying. */
function describeBrowser(): string {
  const ua = navigator.userAgent
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser'
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'unknown'
  return `${browser} on ${os}`
}
