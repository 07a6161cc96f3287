/** The Node host: SQLite in the data directory, the core app on node-server with `ws`, internal workers. */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { serve, upgradeWebSocket, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { createApp } from '../core/app'
import { HostConfig } from '../core/host-config'
import { defaultConfig, type OrchestratorConfig } from '../core/config'
import { Orchestrator } from '../core/orchestrator'
import { thisProcess } from '../core/rooms/rooms'
import type { VolunteerSession } from '../core/volunteers/volunteer-session'
import { startInternalWorkers, type InternalWorkers } from './internal-workers'
import { openSqlite } from './sqlite'
import { DiskAssetSource, defaultWebDir } from './disk-asset-source'
import { DiskFileStore } from './disk-file-store'
import { DiskUploadSink } from './disk-upload-sink'
import { offeredToken } from '../core/auth/bearer'
import { uploadAccess } from '../core/auth/upload-access'
import { rawTargetProblem } from '../core/storage/storage-path'
import { ConnectionCap } from '../core/limits/connection-cap'
import { connectionGate } from './connection-gate'
import { lingerOnClose } from './lingering-close'
import type { Logger } from '../core/observability/logger'
import { stdoutLogger } from './stdout-logger'
import { createLibp2pMesh } from './federation/libp2p-mesh'
import { loadSecretBox } from './secrets-key'
import { GitRepoReader } from './git-repo-reader'
import { ThreadCompiler } from './thread-compiler'

export interface ServerOptions {
  host: string
  port: number
  dataDir: string
  workers: number
  /** What warm function contexts may hold per internal worker's sandbox thread, in MiB. */
  warmBudgetMb?: number
  config?: Partial<OrchestratorConfig>
  /** The built volunteer PWA (default: `dist/web`). */
  webDir?: string
  /** Where JSON log lines go (default: stdout, info and above). */
  logger?: Logger
  /**
   * Longest a client may take to send a whole request, headers and body (default 30 minutes, so
   * a large upload on a slow link still arrives); headers alone get at most 60 s. A client that
   * trickles bytes (slowloris) is answered 408 and cut off.
   */
  requestTimeoutMs?: number
  /** Join a mesh of orchestrators over libp2p (see core/federation/); absent: no P2P port. */
  p2p?: P2pOptions
  /** Seals secrets at rest (default: the key in `{dataDir}/secrets.key`, made on first start). */
  secretsKey?: string
}

export interface P2pOptions {
  host: string
  port: number
  bootstrap: string[]
  /** The contents of a libp2p private-network key file. */
  swarmKey?: Uint8Array | undefined
  allow?: string[] | undefined
  forwardAfterMs?: number | undefined
  /** How long a peer running our job may stay silent (default 15 s). */
  leaseMs?: number
  /** How often this orchestrator tells its peers how it is (default 2 s). */
  announceEveryMs?: number
}

/** The schema's default (30 minutes), for callers that pass none (tests, benchmarks). */
const DEFAULT_REQUEST_TIMEOUT_MS = HostConfig.shape.requestTimeoutSeconds.parse(undefined) * 1000
const MAX_HEADERS_TIMEOUT_MS = 60_000

export interface RunningServer {
  url: string
  port: number
  orchestrator: Orchestrator
  close(): Promise<void>
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true })
  const secretBox = await loadSecretBox(options.dataDir, options.secretsKey)
  const db = openSqlite(path.join(options.dataDir, 'zerverless.db'))
  // The internal workers' credential: made here, handed to their thread, never written anywhere.
  const config = defaultConfig({
    internalToken: `zv_internal_${randomBytes(32).toString('base64url')}`,
    ...options.config,
  })
  const files = new DiskFileStore(path.join(options.dataDir, 'storage'))
  // The seed's layout: an uploaded service's files under standalone_services/{service_name}/.
  const serviceFiles = new DiskFileStore(path.join(options.dataDir, 'standalone_services'), 0o755)
  const outputFiles = new DiskFileStore(path.join(options.dataDir, 'job-outputs'))
  const uploadSink = new DiskUploadSink(path.join(options.dataDir, 'uploads'))
  await Promise.all([files.init(), serviceFiles.init(), outputFiles.init(), uploadSink.init()])
  // One logger for requests and for workflow runs' and steps' lines.
  const logger = options.logger ?? stdoutLogger('info')
  // Functions' code is compiled at deploy, in a thread of its own; nothing of it runs.
  const compiler = new ThreadCompiler()
  const orchestrator = new Orchestrator(db, config, {
    secretBox,
    repos: new GitRepoReader(path.join(options.dataDir, 'gitops')),
    compile: compiler.compile,
    sha256: (text) => createHash('sha256').update(text).digest('hex'),
    files,
    serviceFiles,
    outputFiles,
    uploadSink,
    logger,
    ...(options.p2p && {
      federation: {
        allow: options.p2p.allow,
        forwardAfterMs: options.p2p.forwardAfterMs,
        ...(options.p2p.leaseMs !== undefined && { leaseMs: options.p2p.leaseMs }),
        ...(options.p2p.announceEveryMs !== undefined && {
          announceEveryMs: options.p2p.announceEveryMs,
        }),
      },
    }),
  })
  const mesh =
    options.p2p &&
    (await createLibp2pMesh({
      dataDir: options.dataDir,
      host: options.p2p.host,
      port: options.p2p.port,
      bootstrap: options.p2p.bootstrap,
      swarmKey: options.p2p.swarmKey,
      maxFrameBytes: config.maxFrameBytes,
      logger,
    }))
  if (mesh) orchestrator.federation?.attach(mesh)
  orchestrator.start()

  const volunteerSocket = upgradeWebSocket((c) => {
    let session: VolunteerSession | undefined
    // Back-off and reputation outlive a connection by its address (see core/volunteers/).
    const address = (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress
    const token = offeredToken(c.req.raw)
    return {
      onOpen: (_event, ws) => {
        session = orchestrator.hub.connect(
          {
            send: (text) => ws.send(text),
            close: (code, reason) => ws.close(code, reason),
          },
          Date.now(),
          { address, token },
        )
      },
      onMessage: (event, _ws) => {
        if (!session) return
        // Binary frames are not part of the protocol; hand them on as text so they count as malformed.
        void orchestrator.hub.receive(
          session,
          typeof event.data === 'string' ? event.data : '<binary frame>',
        )
      },
      onClose: () => {
        if (session) orchestrator.hub.disconnect(session)
      },
    }
  })
  const uploadSocket = upgradeWebSocket(async (c) => {
    const connection = await orchestrator.uploads?.connectionFor(
      uploadAccess(orchestrator.auth, config.runnerToken),
      offeredToken(c.req.raw),
    )
    return {
      onMessage: (event, ws) => {
        if (!connection) return ws.close(1011, 'uploads are not available')
        const text = typeof event.data === 'string' ? event.data : '<binary frame>'
        void connection.receive(text).then(({ replies, close, reason }) => {
          for (const reply of replies) ws.send(reply)
          if (close) ws.close(1008, reason ?? 'unauthorized')
        })
      },
    }
  })
  const assets = new DiskAssetSource(options.webDir ?? defaultWebDir())
  const app = createApp({
    orchestrator,
    // One process: every route is answered here.
    rooms: thisProcess,
    host: 'node',
    volunteerSocket,
    uploadSocket,
    assets,
    logger,
    clientAddress: (c) => (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress,
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes })
  const admitSocket = connectionGate(
    new ConnectionCap(config.limits.maxConnectionsPerIp, config.limits.limitLoopback),
  )
  // node-server resolves "..", "%2e%2e" and "\\" before routing, which would quietly send a request
  // elsewhere: refuse such paths outright while the raw target is still at hand.
  const fetch = (request: Request, env: HttpBindings | Http2Bindings) => {
    const problem = rawTargetProblem(env.incoming.url ?? '')
    if (problem) return Response.json({ error: problem, code: 'INVALID_PATH' }, { status: 400 })
    // WebSocket upgrades over the per-address cap are refused before the app sees them.
    const refused = admitSocket((env as HttpBindings).incoming)
    if (refused) return refused
    return app.fetch(request, env)
  }
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const headersTimeout = Math.min(requestTimeout, MAX_HEADERS_TIMEOUT_MS)
  const server = serve({
    fetch,
    port: options.port,
    hostname: options.host,
    websocket: { server: wss },
    serverOptions: {
      requestTimeout,
      headersTimeout,
      // Node looks for overdue requests only this often (30 s by default).
      connectionsCheckingInterval: Math.min(5_000, Math.max(100, headersTimeout / 4)),
    },
  })
  lingerOnClose(server as HttpServer)
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const displayHost = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${displayHost}:${port}`

  const workers: InternalWorkers | undefined =
    options.workers > 0
      ? startInternalWorkers(
          orchestrator.hub,
          `ws://${displayHost}:${port}/ws/volunteer`,
          options.workers,
          config.internalToken,
          options.warmBudgetMb,
        )
      : undefined

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await workers?.stop()
      await mesh?.stop()
      orchestrator.stop()
      compiler.close()
      orchestrator.hub.closeAll('orchestrator shutting down')
      await closeSockets(wss)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive connections would hold close() open.
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      db.close()
    })())
  return { url, port, orchestrator, close }
}

/**
 * Closes every socket left (upload sockets; volunteers were told by the hub) and waits briefly for
 * the closing handshakes; a peer that does not answer is cut off, since it would hold server.close().
 */
async function closeSockets(wss: WebSocketServer, graceMs = 1_000): Promise<void> {
  const open = [...wss.clients]
  for (const socket of open) socket.close(1001, 'orchestrator shutting down')
  const closed = Promise.all(
    open.map((socket) => new Promise((resolve) => socket.once('close', resolve))),
  )
  let timer: NodeJS.Timeout | undefined
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
  clearTimeout(timer)
  for (const socket of wss.clients) socket.terminate()
}
