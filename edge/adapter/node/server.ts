/** The Node host: SQLite in the data directory, the core app on node-server with `ws`, internal workers. */
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { serve, upgradeWebSocket, type Http2Bindings, type HttpBindings } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { createApp } from '../../core/app'
import { defaultConfig, type OrchestratorConfig } from '../../core/config'
import { Orchestrator } from '../../core/orchestrator'
import type { VolunteerSession } from '../../core/volunteers/volunteer-session'
import { startInternalWorkers, type InternalWorkers } from './internal-workers'
import { openSqlite } from './sqlite'
import { DiskAssetSource, defaultWebDir } from './disk-asset-source'
import { DiskFileStore } from './disk-file-store'
import { DiskUploadSink } from './disk-upload-sink'
import { offeredToken } from '../../core/services/upload-sessions'
import { rawTargetProblem } from '../../core/storage/storage-path'

export interface ServerOptions {
  host: string
  port: number
  dataDir: string
  workers: number
  config?: Partial<OrchestratorConfig>
  /** The built volunteer PWA (default: `dist/web`). */
  webDir?: string
}

export interface RunningServer {
  url: string
  port: number
  orchestrator: Orchestrator
  close(): Promise<void>
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true })
  const db = openSqlite(path.join(options.dataDir, 'zerverless.db'))
  const config = defaultConfig(options.config)
  const files = new DiskFileStore(path.join(options.dataDir, 'storage'))
  // The seed's layout: an uploaded service's files under standalone_services/{service_name}/.
  const serviceFiles = new DiskFileStore(path.join(options.dataDir, 'standalone_services'), 0o755)
  const outputFiles = new DiskFileStore(path.join(options.dataDir, 'job-outputs'))
  const uploadSink = new DiskUploadSink(path.join(options.dataDir, 'uploads'))
  await Promise.all([files.init(), serviceFiles.init(), outputFiles.init(), uploadSink.init()])
  const orchestrator = new Orchestrator(db, config, {
    sha256: (text) => createHash('sha256').update(text).digest('hex'),
    files,
    serviceFiles,
    outputFiles,
    uploadSink,
  })
  orchestrator.start()

  const volunteerSocket = upgradeWebSocket(() => {
    let session: VolunteerSession | undefined
    return {
      onOpen: (_event, ws) => {
        session = orchestrator.hub.connect({
          send: (text) => ws.send(text),
          close: (code, reason) => ws.close(code, reason),
        })
      },
      onMessage: (event, _ws) => {
        if (!session) return
        // Binary frames are not part of the protocol; hand them on as text so they count as malformed.
        orchestrator.hub.receive(
          session,
          typeof event.data === 'string' ? event.data : '<binary frame>',
        )
      },
      onClose: () => {
        if (session) orchestrator.hub.disconnect(session)
      },
    }
  })
  const uploadSocket = upgradeWebSocket((c) => {
    const connection = orchestrator.uploads?.connectionFor(
      config.runnerToken,
      offeredToken(c.req.raw),
    )
    return {
      onMessage: (event, ws) => {
        if (!connection) return ws.close(1011, 'uploads are not available')
        const text = typeof event.data === 'string' ? event.data : '<binary frame>'
        void connection.receive(text).then(({ replies, close }) => {
          for (const reply of replies) ws.send(reply)
          if (close) ws.close(1008, 'unauthorized')
        })
      },
    }
  })
  const assets = new DiskAssetSource(options.webDir ?? defaultWebDir())
  const app = createApp({ orchestrator, host: 'node', volunteerSocket, uploadSocket, assets })
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes })
  // node-server resolves "..", "%2e%2e" and "\\" before routing, which would quietly send a request
  // elsewhere: refuse such paths outright while the raw target is still at hand.
  const fetch = (request: Request, env: HttpBindings | Http2Bindings) => {
    const problem = rawTargetProblem(env.incoming.url ?? '')
    if (problem) return Response.json({ error: problem, code: 'INVALID_PATH' }, { status: 400 })
    return app.fetch(request, env)
  }
  const server = serve({
    fetch,
    port: options.port,
    hostname: options.host,
    websocket: { server: wss },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const displayHost = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${displayHost}:${port}`

  const workers: InternalWorkers | undefined =
    options.workers > 0
      ? startInternalWorkers(`ws://${displayHost}:${port}/ws/volunteer`, options.workers)
      : undefined

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await workers?.stop()
      orchestrator.stop()
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
