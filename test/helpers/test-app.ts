/**
 * The in-process test tier: the core built in the test's own process, with SQLite in memory, the
 * HTTP API reached by `app.request()` and volunteers that are the real agent on real sandbox
 * threads, joined to the hub by in-memory sockets. The one place tests build the core: a change to
 * how it is built is made here, once.
 */
import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import type { Hono } from 'hono'
import { createApp } from '../../edge/core/app'
import { uploadAccess } from '../../edge/core/auth/upload-access'
import { defaultConfig, type OrchestratorConfig } from '../../edge/core/config'
import { jsonLogger, type LogThreshold } from '../../edge/core/observability/logger'
import { Orchestrator } from '../../edge/core/orchestrator'
import { DiskAssetSource } from '../../edge/node/disk-asset-source'
import { DiskFileStore } from '../../edge/node/disk-file-store'
import { DiskUploadSink } from '../../edge/node/disk-upload-sink'
import { loadSecretBox } from '../../edge/node/secrets-key'
import { GitRepoReader } from '../../edge/node/git-repo-reader'
import { openSqlite, type SqliteDatabase } from '../../edge/node/sqlite'
import type { Sql, SqlValue } from '../../edge/core/store/sql'
import { api, type ApiClient, type Fetcher } from './api'
import { adoptSocket, type FrameSocket } from './frame-socket'
import { MemorySocket } from './memory-socket'
import { MemoryUploadSocket } from './memory-upload-socket'
import { ScriptedVolunteer, type HelloOptions } from './scripted-volunteer'
import { startTestVolunteer, type TestVolunteer, type TestVolunteerOptions } from './test-volunteer'
import { UploadClient } from './upload-client'
import { eventually } from './eventually'
import { removeDir, tempDir } from './temp-dir'
import { ThreadCompiler } from '../../edge/node/thread-compiler'

type Limits = OrchestratorConfig['limits']

/** Config as a test changes it: any field, and any of the limits (the rest keep their defaults). */
type TestConfig = Partial<Omit<OrchestratorConfig, 'limits'>> & { limits?: Partial<Limits> }

export interface TestAppOptions {
  config?: TestConfig
  /** Auth on, as `--auth on` with ZERVERLESS_ADMIN_TOKEN: this admin token, or a random one. */
  auth?: { adminToken?: string }
  /**
   * In-process volunteers, as `--workers N` makes them: how many (default 1; 0 for none), or the
   * options of each one. They present the internal credential, so they are trusted executors.
   */
  volunteers?: number | TestVolunteerOptions[]
  /**
   * Files on disk in a temporary directory (storage, services, job outputs, upload parts), as the
   * Node host keeps them (default); false for a core with none (no storage routes, no uploads).
   */
  files?: boolean
  /** Log lines at this level and above are kept in `logs()` (default: info, as `npm start`). */
  logLevel?: LogThreshold
  /** Told of every query the core runs, with its parameters and how many rows it read. */
  observeSql?: (query: string, params: readonly SqlValue[], rows: number) => void
}

/** Who a request or a socket comes from; the Node host reads it from the TCP socket. */
interface From {
  /** The client's address (default 127.0.0.1, as a local client's). */
  address?: string
}

export interface TestApp {
  app: Hono
  orchestrator: Orchestrator
  config: OrchestratorConfig
  /** The core's SQL (SQLite in memory): a test may play a tampered store through it. */
  sql: SqliteDatabase
  /** With `auth`: the admin token, and the secret API tokens are signed with. */
  adminToken: string | undefined
  secret: Uint8Array | undefined
  /** Unless `files` is false: the directory files are kept in (`storage/`, `standalone_services/`, …). */
  dataDir: string | undefined
  /** A request straight into the app, as from a loopback client. */
  fetch: Fetcher
  /** The same from another address. */
  fetchFrom(address: string): Fetcher
  /** A JSON client over `fetch`. */
  api: ApiClient
  /** The in-process volunteers, welcomed, in the order they were started. */
  volunteers: TestVolunteer[]
  addVolunteer(options?: TestVolunteerOptions): Promise<TestVolunteer>
  /** Opens `/ws/volunteer` in memory; `token` as a `?token=` on the upgrade. */
  volunteerSocket(options?: From & { token?: string }): Promise<FrameSocket>
  /** A scripted volunteer on an in-memory socket; says hello unless `capabilities` is false. */
  scripted(
    capabilities?: Parameters<typeof ScriptedVolunteer.over>[1],
    options?: HelloOptions & From & { token?: string },
  ): Promise<ScriptedVolunteer>
  /** Opens `/ws/upload` in memory; `token` as the upgrade's Bearer header. */
  uploadSocket(token?: string): Promise<FrameSocket>
  /** The same, driven by an upload client. */
  uploadClient(token?: string): Promise<UploadClient>
  /** Log lines written so far (JSON text). */
  logs(): string[]
  /** Stops the volunteers and the core, and removes the files. */
  close(): Promise<void>
}

const LOOPBACK = '127.0.0.1'
const WEB_DIR = path.resolve(import.meta.dirname, '../../dist/web')

/** Builds the core in this process; resolves once every volunteer asked for has been welcomed. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { limits, ...overrides } = options.config ?? {}
  const adminToken = options.auth && (options.auth.adminToken ?? `zv_admin_${random()}`)
  const secret = options.auth && new TextEncoder().encode(random())
  const base = defaultConfig()
  const config = defaultConfig({
    internalToken: `zv_internal_${random()}`,
    ...(options.auth && { auth: { enabled: true, adminToken, secret } }),
    ...overrides,
    limits: { ...base.limits, ...limits },
  })
  const sql = openSqlite(':memory:')
  const dataDir = options.files === false ? undefined : tempDir('zv-app-')
  const lines: string[] = []
  const logger = jsonLogger((line) => lines.push(line), options.logLevel ?? 'info')
  const compiler = new ThreadCompiler()
  const orchestrator = new Orchestrator(observed(sql, options.observeSql), config, {
    sha256: (text) => createHash('sha256').update(text).digest('hex'),
    // As the Node host does: deploys compile functions' code (see edge/node/server.ts).
    compile: compiler.compile,
    logger,
    ...(dataDir && (await diskStores(dataDir))),
  })
  orchestrator.start()

  const app = createApp({
    orchestrator,
    host: 'node',
    // The built volunteer PWA (test/global-setup.ts builds it), as the Node host serves it.
    assets: new DiskAssetSource(WEB_DIR),
    logger,
    clientAddress: (c) => (c.env as From | undefined)?.address,
  })
  const fetchFrom =
    (address: string): Fetcher =>
    async (target, init) =>
      app.request(target, init, { address } satisfies From)
  const volunteerSocket = (from: From & { token?: string } = {}) =>
    adoptSocket(
      new MemorySocket(orchestrator.hub, {
        address: from.address ?? LOOPBACK,
        ...(from.token !== undefined && { token: from.token }),
      }),
    )

  const uploadSocket = (token?: string) =>
    adoptSocket(
      new MemoryUploadSocket(
        orchestrator.uploads
          ? orchestrator.uploads.connectionFor(
              uploadAccess(orchestrator.auth, config.runnerToken),
              token,
            )
          : Promise.resolve(undefined),
      ),
    )

  const volunteers: TestVolunteer[] = []
  const addVolunteer = async (each: TestVolunteerOptions = {}) => {
    const volunteer = startTestVolunteer({
      ...each,
      index: volunteers.length,
      hub: orchestrator.hub,
      fetch: fetchFrom(each.address ?? LOOPBACK),
      internalToken: config.internalToken,
    })
    volunteers.push(volunteer)
    await volunteer.welcomed
    return volunteer
  }
  const wanted = options.volunteers ?? 1
  const each = typeof wanted === 'number' ? Array.from({ length: wanted }, () => ({})) : wanted
  await Promise.all(each.map((one) => addVolunteer(one)))

  let closing: Promise<void> | undefined
  return {
    app,
    orchestrator,
    config,
    sql,
    adminToken,
    secret,
    dataDir,
    fetch: fetchFrom(LOOPBACK),
    fetchFrom,
    api: api(fetchFrom(LOOPBACK)),
    volunteers,
    addVolunteer,
    volunteerSocket,
    scripted: async (capabilities, hello = {}) =>
      ScriptedVolunteer.over(await volunteerSocket(hello), capabilities, hello),
    uploadSocket,
    uploadClient: async (token) => UploadClient.over(await uploadSocket(token)),
    logs: () => lines,
    close: () =>
      (closing ??= (async () => {
        await Promise.all(volunteers.map((v) => v.stop()))
        orchestrator.stop()
        compiler.close()
        orchestrator.hub.closeAll('orchestrator shutting down')
        // Sockets learn of the close on the next turn; let them, before the store goes away.
        await new Promise((resolve) => setImmediate(resolve))
        sql.close()
        if (dataDir) removeDir(dataDir)
      })()),
  }
}

/** The stores the Node host keeps under its data directory, in the same layout. */
async function diskStores(dataDir: string) {
  const files = new DiskFileStore(path.join(dataDir, 'storage'))
  const serviceFiles = new DiskFileStore(path.join(dataDir, 'standalone_services'), 0o755)
  const outputFiles = new DiskFileStore(path.join(dataDir, 'job-outputs'))
  const uploadSink = new DiskUploadSink(path.join(dataDir, 'uploads'))
  await Promise.all([files.init(), serviceFiles.init(), outputFiles.init(), uploadSink.init()])
  // GitOps' repositories, fetched with git as the Node host does.
  const repos = new GitRepoReader(path.join(dataDir, 'gitops'))
  // Secrets sealed with a key of this app's own, as the Node host keeps one in its data directory.
  const secretBox = await loadSecretBox(dataDir)
  return { files, serviceFiles, outputFiles, uploadSink, repos, secretBox }
}

function random(): string {
  return randomBytes(32).toString('base64url')
}

/** Waits until `app` shows `count` idle volunteers (as `/stats` counts them). */
export async function idleVolunteers(app: TestApp, count: number): Promise<void> {
  await eventually(
    async () => (await app.api.get('/stats')).body.volunteers.idle === count || undefined,
    10_000,
    `${count} idle volunteers`,
  )
}

/** The core's SQL, telling `observe` of each query (as it is, without one). */
function observed(sql: Sql, observe: TestAppOptions['observeSql']): Sql {
  if (!observe) return sql
  return {
    all: <T>(query: string, ...params: SqlValue[]) => {
      const found = sql.all<T>(query, ...params)
      observe(query, params, found.length)
      return found
    },
    get: <T>(query: string, ...params: SqlValue[]) => {
      const found = sql.get<T>(query, ...params)
      observe(query, params, found === undefined ? 0 : 1)
      return found
    },
    run: (query, ...params) => {
      observe(query, params, 0)
      return sql.run(query, ...params)
    },
    transaction: (fn) => sql.transaction(fn),
    durable: (urgent) => sql.durable(urgent),
  }
}
