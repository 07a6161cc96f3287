/**
 * A job room: one Durable Object running the portable core (queue, functions, KV, file index,
 * volunteer hub) for the namespaces that hash to it. State lives in the object's SQLite storage and
 * R2; volunteers' sockets use the WebSocket Hibernation API, heartbeats are answered by the runtime
 * without waking the object, and deadlines and liveness checks run on alarms.
 */
import { DurableObject } from 'cloudflare:workers'
import type { MiddlewareHandler } from 'hono'
import { HEARTBEAT_ACK_FRAME, HEARTBEAT_FRAME } from '../../shared/protocol/frames'
import { createApp } from '../core/app'
import { consoleLogger } from '../core/observability/logger'
import { Orchestrator } from '../core/orchestrator'
import { addressKey } from '../core/limits/client-address'
import { ConnectionCap, tooManyConnections } from '../core/limits/connection-cap'
import type { SessionSnapshot, VolunteerSession } from '../core/volunteers/volunteer-session'
import { doSql } from './do-sql'
import { ROOM_HEADER, roomConfig, workersConfig, type Env } from './env'
import { R2FileStore } from './r2-file-store'
import { SqlUploadSink } from './sql-upload-sink'
import { offeredToken } from '../core/auth/bearer'
import type { UploadConnection } from '../core/services/upload-connection'
import { uploadAccess } from '../core/auth/upload-access'
import type { TokenGrant } from '../core/auth/authenticator'
import type { WorkSpec } from '../core/placement/work'
import type { JobRoomRpc, RoomLoad } from './room-rpc'
import { isMovable, isNeedy, roomLoad } from './room-load'
import { SecretBox } from '../core/secrets/secret-box'

/** How often a room with running work looks at deadlines it has no exact alarm for. */
const BUSY_TICK_MS = 1_000
/** How long a room trusts room 0's word that a token is not revoked. */
const TOKEN_CACHE_MS = 10_000
/** Load reports to the balancer are coalesced over this long. */
const REPORT_MS = 200
/** A report the balancer did not take is sent again after this long. */
const REPORT_RETRY_MS = 1_000
/**
 * A room with work waiting and no volunteer free says so again this often, also when nothing
 * changed: the balancer may have lost it (evicted, soft state) or be waiting on a room that
 * believed wrongly, and only a report makes it look again.
 */
const NEEDY_REPORT_MS = 2_000

interface Live {
  orchestrator: Orchestrator
  app: { fetch: (request: Request) => Response | Promise<Response> }
  sessions: Map<WebSocket, VolunteerSession>
  /** Standalone-service upload sockets (`/ws/upload`, tagged `upload`). */
  uploads: Map<WebSocket, UploadConnection>
  room: number
}

const UPLOAD_TAG = 'upload'

export class JobRoom extends DurableObject<Env> implements JobRoomRpc {
  #live: Live | undefined
  #alarmAt: number | undefined
  #reportTimer: ReturnType<typeof setTimeout> | undefined
  /** What each socket's attachment says, so it is rewritten only when the session changed. */
  readonly #attached = new WeakMap<WebSocket, string>()
  /** The session's parts its attachment was last checked against. */
  readonly #parts = new WeakMap<WebSocket, readonly unknown[]>()

  /** Seals this room's secrets, made from SECRETS_KEY before the room serves anything. */
  #secretBox: SecretBox | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair(HEARTBEAT_FRAME, HEARTBEAT_ACK_FRAME),
    )
    // Web Crypto imports keys asynchronously; the room is built synchronously on first use.
    void ctx.blockConcurrencyWhile(async () => {
      this.#secretBox = await secretBoxOf(env)
    })
  }

  override async fetch(request: Request): Promise<Response> {
    const header = request.headers.get(ROOM_HEADER)
    return this.serve(request, header === null ? undefined : Number(header))
  }

  /** RPC from the Worker: a request it forwards (room-forwarding.ts says which way). */
  async serve(request: Request, room?: number): Promise<Response> {
    const live = this.#open(room)
    const response = await live.app.fetch(request)
    this.#afterWork(live)
    return response
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const live = this.#open()
    const text = typeof message === 'string' ? message : '<binary frame>'
    const upload = live.uploads.get(ws)
    if (upload) {
      const { replies, close, reason } = await upload.receive(text)
      for (const reply of replies) ws.send(reply)
      if (close) ws.close(1008, reason ?? 'unauthorized')
      return
    }
    const session = live.sessions.get(ws)
    if (!session) return ws.close(1011, 'unknown socket')
    // A hello with an issued token finishes once room 0 vouched for it: the attachment waits.
    await live.orchestrator.hub.receive(session, text)
    this.#remember(ws, session)
    this.#afterWork(live)
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#gone(ws)
    try {
      ws.close(1000, 'closed')
    } catch {
      // Already closed.
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#gone(ws)
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = undefined
    const live = this.#open()
    const now = Date.now()
    // Heartbeats were answered by the runtime: that is when each volunteer was last heard from.
    for (const [ws, session] of live.sessions) {
      const heard = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime()
      if (heard !== undefined && heard > session.lastSeen) session.lastSeen = heard
    }
    live.orchestrator.tick(now)
    this.#afterWork(live)
  }

  /**
   * RPC from the balancer: close up to `count` idle volunteers (that can run `work`, when given)
   * so they reconnect where work is. It names the room, which may not have been opened yet.
   */
  release(room: number, count: number, work?: WorkSpec): number {
    const live = this.#open(room)
    let released = 0
    for (const [ws, session] of live.sessions) {
      if (released >= count) break
      if (!isMovable(session) || (work && !session.fits(work))) continue
      session.send({ type: 'drain', reason: 'moving to a room with work' })
      ws.close(1012, 'moving to a room with work')
      this.#gone(ws)
      released++
    }
    // The balancer now counts `released` fewer here; what really is here goes to it next, even
    // unchanged (it believed in volunteers this room did not have, or it would not have asked).
    this.#lastReport = ''
    this.#afterWork(live)
    return released
  }

  /**
   * RPC from other rooms: what was issued under an API token id (room 0 keeps them), so that the
   * asking room holds the token's claims to it as room 0 would.
   */
  tokenGrant(id: string): TokenGrant | null {
    const record = this.#open().orchestrator.tokens.get(id)
    if (!record) return null
    const { namespaces, rights, expires_at, revoked_at } = record
    return { namespaces, rights, expires_at, revoked_at }
  }

  readonly #tokenCache = new Map<string, { grant: TokenGrant | undefined; at: number }>()

  async #tokenGrant(id: string): Promise<TokenGrant | undefined> {
    const now = Date.now()
    const cached = this.#tokenCache.get(id)
    if (cached && now - cached.at < TOKEN_CACHE_MS) return cached.grant
    const grant =
      (await this.env.JOB_ROOMS.get(this.env.JOB_ROOMS.idFromName('room-0')).tokenGrant(id)) ??
      undefined
    if (this.#tokenCache.size > 10_000) this.#tokenCache.clear()
    this.#tokenCache.set(id, { grant, at: now })
    return grant
  }

  /** Asks the balancer for a volunteer that can run `work`; false when there is none. */
  async #summon(room: number, work: WorkSpec): Promise<boolean> {
    const balancer = this.env.BALANCER.get(this.env.BALANCER.idFromName('balancer'))
    const coming = await balancer.summon(room, work).catch(() => false)
    // Once the call is queued, the alarm is set so that it ends if the volunteer does not come.
    if (coming) setTimeout(() => this.#live && this.#afterWork(this.#live), 0)
    return coming
  }

  /** RPC: the room's load, as the balancer sees it. */
  load(): RoomLoad {
    return this.#load(this.#open())
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #open(room?: number): Live {
    if (this.#live) return this.#live
    const stored = this.ctx.storage.kv.get<number>('room')
    const index = stored ?? room ?? 0
    if (stored === undefined) this.ctx.storage.kv.put('room', index)
    const config = roomConfig(this.env, index)
    const sql = doSql(this.ctx.storage)
    const logger = consoleLogger(workersConfig(this.env).logLevel)
    const orchestrator = new Orchestrator(sql, config, {
      logger,
      files: new R2FileStore(this.env.FILES, 'storage'),
      serviceFiles: new R2FileStore(this.env.FILES, 'standalone_services'),
      outputFiles: new R2FileStore(this.env.FILES, 'job-outputs'),
      uploadSink: new SqlUploadSink(sql),
      resumable: true,
      // Tokens are issued and revoked in room 0; the others ask it (and remember a while).
      ...(index !== 0 && { tokenGrant: (id: string) => this.#tokenGrant(id) }),
      // Standalone services and runners are in room 0 too: other rooms' workflows cannot start them.
      servicesElsewhere: index !== 0,
      // A workflow step's jobs went out after the request, frame or alarm that started them ended:
      // wake for their deadlines and tell the balancer (a room without volunteers needs one).
      launched: () => this.#live && this.#afterWork(this.#live),
      // A function call nobody here can run: the balancer moves here an idle volunteer that can,
      // or says at once that none exists (the caller then gets its 503 without waiting).
      summon: (work) => this.#summon(index, work),
      ...(this.#secretBox && { secretBox: this.#secretBox }),
    })
    const sessions = new Map<WebSocket, VolunteerSession>()
    // The Worker cannot count sockets across rooms: each room caps the sockets it holds per
    // address (CF-Connecting-IP), as tags that survive hibernation.
    const cap = new ConnectionCap(config.limits.maxConnectionsPerIp, config.limits.limitLoopback)
    const admit = (request: Request): string[] | undefined => {
      const address = request.headers.get('cf-connecting-ip') ?? undefined
      if (!cap.applies(address)) return []
      const tag = `ip:${addressKey(address)}`
      return this.ctx.getWebSockets(tag).length < cap.max ? [tag] : undefined
    }
    const volunteerSocket: MiddlewareHandler = async (c) => {
      const tags = admit(c.req.raw)
      if (!tags) return tooManyConnections(cap.max)
      const pair = new WebSocketPair()
      const [client, server] = [pair[0], pair[1]]
      this.ctx.acceptWebSocket(server, tags)
      // Who it is gets decided at its hello, from this token or the hello's own.
      const session = orchestrator.hub.connect(linkOf(server), Date.now(), {
        address: c.req.header('cf-connecting-ip'),
        token: offeredToken(c.req.raw),
      })
      sessions.set(server, session)
      this.#remember(server, session)
      this.#afterWork(live)
      return new Response(null, { status: 101, webSocket: client })
    }
    const uploads = new Map<WebSocket, UploadConnection>()
    const uploadSocket: MiddlewareHandler = async (c) => {
      const tags = admit(c.req.raw)
      if (!tags) return tooManyConnections(cap.max)
      const connection = await orchestrator.uploads?.connectionFor(
        uploadAccess(orchestrator.auth, config.runnerToken),
        offeredToken(c.req.raw),
      )
      if (!connection)
        return c.json({ error: 'uploads are not available', code: 'UNAVAILABLE' }, 503)
      const pair = new WebSocketPair()
      this.ctx.acceptWebSocket(pair[1], [UPLOAD_TAG, ...tags])
      uploads.set(pair[1], connection)
      return new Response(null, { status: 101, webSocket: pair[0] })
    }
    const app = createApp({
      orchestrator,
      host: 'workers',
      volunteerSocket,
      uploadSocket,
      clientAddress: (c) => c.req.header('cf-connecting-ip'),
      logger,
      // A submit that waits (`?wait=`) answers late: its jobs are told to the balancer now.
      launched: () => this.#live && this.#afterWork(this.#live),
    })
    const live: Live = { orchestrator, app, sessions, uploads, room: index }
    // Sockets that outlived the previous instance (hibernation, eviction): bring their sessions back.
    for (const ws of this.ctx.getWebSockets()) {
      if (this.ctx.getTags(ws).includes(UPLOAD_TAG)) {
        // Upload sessions lived in the previous instance's memory: the client starts over.
        ws.close(1012, 'the orchestrator restarted; upload again')
        continue
      }
      const snapshot = ws.deserializeAttachment() as SessionSnapshot | null
      if (!snapshot) {
        ws.close(1011, 'lost track of this connection; reconnect')
        continue
      }
      sessions.set(ws, orchestrator.hub.restore(linkOf(ws), snapshot))
      this.#attached.set(ws, JSON.stringify(snapshot))
    }
    orchestrator.scheduler.resume(sessions.values())
    this.#live = live
    return live
  }

  #gone(ws: WebSocket): void {
    const live = this.#open()
    if (live.uploads.delete(ws)) return
    const session = live.sessions.get(ws)
    live.sessions.delete(ws)
    if (session) live.orchestrator.hub.disconnect(session)
    this.#afterWork(live)
  }

  /** Keeps the socket's attachment in step with its session (hello, system, drain change it). */
  #remember(ws: WebSocket, session: VolunteerSession): void {
    if (session.state === 'closed') return
    // What the snapshot is made of: unchanged (most frames, results), nothing is serialized.
    const parts = [
      session.state,
      session.capabilities,
      session.agent,
      session.peer,
      session.identity,
    ] as const
    const seen = this.#parts.get(ws)
    if (seen && parts.every((part, i) => part === seen[i])) return
    this.#parts.set(ws, parts)
    const snapshot = JSON.stringify(session.snapshot())
    if (this.#attached.get(ws) === snapshot) return
    this.#attached.set(ws, snapshot)
    ws.serializeAttachment(JSON.parse(snapshot))
  }

  /** After anything happened: wake up in time for the next deadline, and tell the balancer. */
  #afterWork(live: Live): void {
    const now = Date.now()
    const { scheduler, hub, config } = live.orchestrator
    const candidates: number[] = []
    const deadline = scheduler.nextDeadline()
    if (deadline !== undefined) candidates.push(deadline)
    const retry = live.orchestrator.workflowEngine.wakeAt()
    if (retry !== undefined) candidates.push(retry)
    // The next cron tick: the alarm is what fires triggers in a room nothing else wakes.
    const cron = live.orchestrator.crons.nextDue()
    if (cron !== undefined) candidates.push(cron)
    if (scheduler.invocations.size > 0) candidates.push(now + BUSY_TICK_MS)
    if (hub.size > 0)
      candidates.push(now + Math.min(config.heartbeatIntervalMs, config.helloTimeoutMs))
    if (isNeedy(this.#load(live))) candidates.push(now + NEEDY_REPORT_MS)
    if (candidates.length > 0) {
      const at = Math.max(now + 10, Math.min(...candidates))
      if (this.#alarmAt === undefined || at < this.#alarmAt || this.#alarmAt < now) {
        this.#alarmAt = at
        void this.ctx.storage.setAlarm(at)
      }
    }
    this.#scheduleReport()
  }

  #load(live: Live): RoomLoad {
    return roomLoad(live.room, live.orchestrator)
  }

  #lastReport = ''
  #lastReportAt = 0

  /**
   * Tells the balancer this room's load when it changed, coalesced over REPORT_MS; a needy room's
   * load also when it did not, every NEEDY_REPORT_MS.
   */
  #scheduleReport(): void {
    if (this.#reportTimer) return
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined
      const live = this.#live
      if (!live) return
      const load = this.#load(live)
      const key = JSON.stringify(load)
      const now = Date.now()
      const due = isNeedy(load) && now - this.#lastReportAt >= NEEDY_REPORT_MS
      if (key === this.#lastReport && !due) return
      this.#lastReport = key
      this.#lastReportAt = now
      const balancer = this.env.BALANCER.get(this.env.BALANCER.idFromName('balancer'))
      void balancer.report(load).catch(() => {
        // Not heard: said again soon, not only at the next change (which may never come).
        this.#lastReport = ''
        setTimeout(() => this.#scheduleReport(), REPORT_RETRY_MS)
      })
    }, REPORT_MS)
  }
}

function linkOf(ws: WebSocket) {
  return {
    send: (text: string) => ws.send(text),
    close: (code: number, reason: string) => ws.close(code, reason),
  }
}

/** The box SECRETS_KEY makes; none without it, or (said once in the log) when it is no key. */
async function secretBoxOf(env: Env): Promise<SecretBox | undefined> {
  const key = workersConfig(env).secretsKey
  if (key === undefined) return undefined
  const made = await SecretBox.fromText(key)
  if (made.ok) return made.box
  consoleLogger(workersConfig(env).logLevel).error('SECRETS_KEY is not usable', {
    reason: made.reason,
  })
  return undefined
}
