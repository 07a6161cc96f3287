/**
 * The security suites' shared target: an orchestrator with auth on, tokens issued, and what bob and
 * alice own (a job, a function, a key, files, a service) for the attacks to try to reach; then a
 * snapshot of disk and API, which every suite's last test compares. The target is a real CLI
 * process (attacks on the HTTP server itself) or the core in this process (attacks on the API).
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, it } from 'vitest'
import type { RawResponse } from './raw-http'
import { fetcherOf, type Fetcher } from './api'
import { apiSnapshot, diskSnapshot } from './state-snapshot'
import { createTestApp, type TestApp } from './test-app'
import { UploadClient, uploadFile } from './upload-client'
import { eventually } from './eventually'
import { removeDir, tempDir } from './temp-dir'
import { startZerverless, type ZerverlessProcess } from './zerverless-process'

export const MiB = 1024 * 1024
export const RIGHTS = ['jobs', 'deploy', 'db', 'storage', 'services']
/** Stack frames, source locations, file system paths, driver errors: none may reach a client. */
const INTERNALS =
  /\n\s+at |\bat [\w$.<>]+ \(|node_modules|\.[cm]?[jt]s:\d+|\/work\/|\/tmp\/|\/home\/|\/usr\/|SqliteError|ENOENT|EACCES|EISDIR/
const NAMESPACES = ['alice', 'bob']
/** The file traversal attempts try to create, in the data directory and next to it. */
export const MARKER = `PWNED-${process.pid}`

export interface Res {
  status: number
  headers: Headers
  text: string
  body: any
}

/** A request with an optional bearer token; the body is JSON unless it is a string already. */
export async function call(
  target: string | Fetcher,
  method: string,
  route: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const res = await fetcherOf(target)(route, {
    method,
    headers,
    ...(body !== undefined && { body }),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, headers: res.headers, text, body: parsed }
}

/** A 4xx with a JSON `{error, code}` that names nothing of the server's insides. */
export function expectCleanError(res: Res | RawResponse, label: string, dataDir?: string): void {
  expect(res.status, `${label} → ${res.status} ${describeBody(res)}`).toBeGreaterThanOrEqual(400)
  expect(res.status, `${label} → ${res.status} ${describeBody(res)}`).toBeLessThan(500)
  expectNoInternals(res, label, dataDir)
  const text = 'text' in res ? res.text : res.body
  const type = 'text' in res ? res.headers.get('content-type') : res.headers['content-type']
  // Node's HTTP parser answers malformed requests itself (400, 408, 431) with an empty body.
  if (text === '' && 'head' in res) return
  expect(type, `${label}: content-type`).toMatch(/application\/json/)
  const body = JSON.parse(text) as Record<string, unknown>
  expect(typeof body.error, `${label}: error`).toBe('string')
  expect(typeof body.code, `${label}: code`).toBe('string')
}

export function expectNoInternals(res: Res | RawResponse, label: string, dataDir?: string): void {
  const text = 'text' in res ? res.text : res.body
  expect(text, `${label} leaks internals`).not.toMatch(INTERNALS)
  if (dataDir) expect(text, `${label} leaks the data directory`).not.toContain(dataDir)
}

function describeBody(res: Res | RawResponse): string {
  return ('text' in res ? res.text : res.body).slice(0, 300)
}

export const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** What a target is, wherever it runs. */
interface Host {
  /** A base URL, or the in-process app's fetch. */
  http: string | Fetcher
  admin: string
  secret: Uint8Array
  dataDir: string
  openUpload(token?: string): Promise<UploadClient>
  /** What the orchestrator wrote (stdout and stderr, or its log lines). */
  output(): string
  stop(): Promise<void>
}

/** The seeded target the attacks are aimed at. */
export interface AttackTarget extends Host {
  /** Tokens by name: alice's, a db-only one, one for every namespace, one to revoke, one brief. */
  tokens: Record<string, { token: string; id: string }>
  bobJob: string
  aliceJob: string
  bobService: number
  beforeDisk: Record<string, string>
  beforeApi: Record<string, unknown>
  /** A client that sends `token` as a Bearer header. */
  as(token: string | undefined): {
    get(route: string): Promise<Res>
    delete(route: string): Promise<Res>
    post(route: string, body: unknown): Promise<Res>
    put(route: string, body: unknown): Promise<Res>
  }
}

/**
 * The real CLI with auth on, no internal workers, a 2 s request timeout and a 2 MiB upload limit;
 * no ZERVERLESS_ADMIN_TOKEN, so it generates one into {dataDir}/admin-token.
 */
export async function attackProcess(): Promise<AttackTarget & { url: string }> {
  const server: ZerverlessProcess = await startZerverless([
    '--auth',
    'on',
    '--workers',
    '0',
    '--request-timeout',
    '2',
    '--max-upload-bytes',
    String(2 * MiB),
  ])
  const secret = readFileSync(path.join(server.dataDir, 'token-secret'), 'utf8').trim()
  const target = await seed({
    http: server.url,
    admin: readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim(),
    secret: new TextEncoder().encode(secret),
    dataDir: server.dataDir,
    openUpload: (token) => UploadClient.open(server.url, token),
    output: () => server.output(),
    stop: async () => {
      if (process.env.ZV_DEBUG) console.log(server.output())
      await server.stop()
      removeDir(server.dataDir)
    },
  })
  return { ...target, url: server.url }
}

/** The same target as the core in this process: auth on, no volunteers, files in a temp dir. */
export async function attackApp(): Promise<AttackTarget & { app: TestApp }> {
  const app = await createTestApp({
    auth: {},
    volunteers: 0,
    config: { maxUploadBytes: 2 * MiB },
  })
  const target = await seed({
    http: app.fetch,
    admin: app.adminToken as string,
    secret: app.secret as Uint8Array,
    dataDir: app.dataDir as string,
    openUpload: (token) => app.uploadClient(token),
    output: () => app.logs().join('\n'),
    stop: () => app.close(),
  })
  return { ...target, app }
}

async function seed(host: Host): Promise<AttackTarget> {
  const as: AttackTarget['as'] = (token) => ({
    get: (route) => call(host.http, 'GET', route, { token }),
    delete: (route) => call(host.http, 'DELETE', route, { token }),
    post: (route, body) => call(host.http, 'POST', route, { token, body }),
    put: (route, body) => call(host.http, 'PUT', route, { token, body }),
  })
  const root = as(host.admin)
  const tokens: AttackTarget['tokens'] = {}
  const issue = async (name: string, body: Record<string, unknown>) => {
    const res = await ok(root.post('/api/tokens', body), 201)
    tokens[name] = { token: res.body.token, id: res.body.id }
  }
  await issue('alice', { namespaces: ['alice'], rights: RIGHTS, name: 'alice' })
  await issue('aliceDb', { namespaces: ['alice'], rights: ['db'] })
  await issue('everywhere', { namespaces: ['*'], rights: RIGHTS })
  await issue('toRevoke', { namespaces: ['alice'], rights: ['db'] })
  await issue('shortLived', { namespaces: ['alice'], rights: ['db'], expires_in_seconds: 1 })

  // What bob owns, for alice to try her token on.
  const job = (namespace: string) => ({ job_type: 'js', code: '1', namespace })
  const bobJob = (await ok(root.post('/api/jobs', job('bob')), 201)).body.id as string
  for (const n of [1, 2])
    await ok(
      root.post('/api/deploy/bob/fn', {
        runtime: 'js',
        code: `function handle() { return {body: ${n}} }`,
      }),
      201,
    )
  await ok(root.put('/api/db/bob/secret', { value: 'bob-secret' }))
  const put = (route: string, body: string) =>
    ok(call(host.http, 'PUT', route, { token: host.admin, body }), 201)
  await put('/api/storage/bob/secret.txt', 'bob')
  const upload = await host.openUpload(host.admin)
  const { ended } = await uploadFile(upload, {
    group: 'bob-group',
    serviceName: 'bob-svc',
    filePath: 'run.sh',
    bytes: Buffer.from('#!/bin/sh\necho bob\n'),
    chunkSize: 1024,
    executable: true,
    service: { namespace: 'bob' },
  })
  expect(ended.type).toBe('FILE_UPLOAD_FILE_COMPLETE')
  const bobService = (await upload.expect('FILE_UPLOAD_COMPLETE')).service_id
  await upload.close()

  // Alice's own, for the controls and the public routes.
  const aliceJob = (await ok(root.post('/api/jobs', job('alice')), 201)).body.id as string
  await ok(root.put('/api/db/alice/key', { value: 'alice-value' }))
  await put('/api/storage/alice/index.html', '<p>hi</p>')
  await put('/api/storage/alice/private.txt?visibility=private', 'alice-private')
  // What an encoded URL sliced at the wrong place would name: namespace "e", path "alice/…".
  await put('/api/storage/e/alice/index.html', 'e-secret')

  return {
    ...host,
    as,
    tokens,
    bobJob,
    aliceJob,
    bobService,
    beforeDisk: diskSnapshot(host.dataDir),
    beforeApi: await apiSnapshot(host.http, host.admin, NAMESPACES),
  }
}

/** The last test of each group: nothing the attacks tried left a trace. */
export function itChangedNothing(target: () => AttackTarget): void {
  it('changed nothing on disk or in any namespace', async () => {
    const { dataDir, http, admin } = target()
    expect(diskSnapshot(dataDir)).toEqual(target().beforeDisk)
    expect(await apiSnapshot(http, admin, NAMESPACES)).toEqual(target().beforeApi)
    expect(existsSync(path.join(path.dirname(dataDir), MARKER))).toBe(false)
    expect(existsSync(path.join(os.tmpdir(), MARKER))).toBe(false)
    expect(target().output()).not.toMatch(/unhandled error/)
  })
}

/** Awaits a response and expects its status (200 unless told). */
export async function ok(res: Promise<Res>, status = 200): Promise<Res> {
  const done = await res
  expect(done.status, done.text).toBe(status)
  return done
}

/** The real CLI with auth on (a known admin token) and one honest internal worker. */
export interface LiveTarget {
  url: string
  wsUrl: string
  dataDir: string
  admin: string
  /** The admin's client. */
  root: { post(route: string, body: unknown): Promise<Res>; get(route: string): Promise<Res> }
  /** `n` jobs for the honest worker: they must all complete while the abuse goes on. */
  honestBatch(n?: number): Promise<void>
  output(): string
  stop(): Promise<void>
}

export async function liveProcess(): Promise<LiveTarget> {
  const admin = `zv_admin_${randomUUID()}`
  const live = await startZerverless(['--auth', 'on', '--workers', '1'], tempDir(), {
    ZERVERLESS_ADMIN_TOKEN: admin,
  })
  await eventually(async () => {
    const stats = await call(live.url, 'GET', '/stats')
    return stats.body.volunteers.idle === 1 || undefined
  }, 20_000)
  const root = {
    post: (route: string, body: unknown) => call(live.url, 'POST', route, { token: admin, body }),
    get: (route: string) => call(live.url, 'GET', route, { token: admin }),
  }
  return {
    url: live.url,
    wsUrl: live.wsUrl,
    dataDir: live.dataDir,
    admin,
    root,
    honestBatch: async (n = 20) => {
      const created = await root.post('/api/jobs/batch', {
        job_type: 'lua',
        code: 'return INPUT.n * 2',
        namespace: 'honest',
        inputs: Array.from({ length: n }, (_, i) => ({ n: i })),
      })
      expect(created.status, created.text).toBe(201)
      const done = await eventually(async () => {
        const batch = await root.get(`/api/jobs/batch/${created.body.batch_id}?wait=5`)
        return batch.body.done ? batch.body : undefined
      }, 30_000)
      expect(done).toMatchObject({ total: n, completed: n })
    },
    output: () => live.output(),
    stop: async () => {
      if (process.env.ZV_DEBUG) console.log(live.output())
      await live.stop()
      removeDir(live.dataDir)
    },
  }
}
