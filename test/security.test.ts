/**
 * The security suite: the real CLI with auth on, attacked the ways the issue lists (other
 * namespaces' tokens, expired, forged and `alg: none` tokens, path traversal on every path-taking
 * route, oversized bodies and frames, slow senders, WebSocket floods, header injection through
 * function responses, fuzzed JSON bodies). Every attempt must get a clean 4xx — never a 5xx,
 * never a hang, never server internals — and leave the data directory and every namespace as
 * they were.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEARTBEAT_FRAME } from '../shared/protocol/frames'
import { rawRequest, slowRequest, type RawResponse } from './helpers/raw-http'
import { ScriptedVolunteer } from './helpers/scripted-volunteer'
import { apiSnapshot, diskSnapshot } from './helpers/state-snapshot'
import { fileStart, UploadClient, uploadFile } from './helpers/upload-client'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

const MiB = 1024 * 1024
const RIGHTS = ['jobs', 'deploy', 'db', 'storage', 'services']
/** Stack frames, source locations, file system paths, driver errors: none may reach a client. */
const INTERNALS =
  /\n\s+at |\bat [\w$.<>]+ \(|node_modules|\.[cm]?[jt]s:\d+|\/work\/|\/tmp\/|\/home\/|\/usr\/|SqliteError|ENOENT|EACCES|EISDIR/

interface Res {
  status: number
  headers: Headers
  text: string
  body: any
}

/** A fetch with an optional bearer token; the body is JSON unless it is a string already. */
async function call(
  base: string,
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
  const res = await fetch(base + route, {
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
function expectCleanError(res: Res | RawResponse, label: string, dataDir?: string): void {
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

function expectNoInternals(res: Res | RawResponse, label: string, dataDir?: string): void {
  const text = 'text' in res ? res.text : res.body
  expect(text, `${label} leaks internals`).not.toMatch(INTERNALS)
  if (dataDir) expect(text, `${label} leaks the data directory`).not.toContain(dataDir)
}

function describeBody(res: Res | RawResponse): string {
  return ('text' in res ? res.text : res.body).slice(0, 300)
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

// ─── the orchestrator under attack: auth on, no internal workers, a 2 s request timeout ──────

let server: ZerverlessProcess
let admin: string
let secret: Uint8Array
const tokens: Record<string, { token: string; id: string }> = {}
let bobJob: string
let aliceJob: string
let bobService: number
let beforeDisk: Record<string, string>
let beforeApi: Record<string, unknown>
const NAMESPACES = ['alice', 'bob']
/** The file traversal attempts try to create, in the data directory and next to it. */
const MARKER = `PWNED-${process.pid}`

const as = (token: string | undefined) => ({
  get: (route: string) => call(server.url, 'GET', route, { token }),
  delete: (route: string) => call(server.url, 'DELETE', route, { token }),
  post: (route: string, body: unknown) => call(server.url, 'POST', route, { token, body }),
  put: (route: string, body: unknown) => call(server.url, 'PUT', route, { token, body }),
})

async function issue(name: string, body: Record<string, unknown>): Promise<void> {
  const res = await as(admin).post('/api/tokens', body)
  expect(res.status, res.text).toBe(201)
  tokens[name] = { token: res.body.token, id: res.body.id }
}

async function ok(res: Promise<Res>, status = 200): Promise<Res> {
  const done = await res
  expect(done.status, done.text).toBe(status)
  return done
}

beforeAll(async () => {
  // No ZERVERLESS_ADMIN_TOKEN: the orchestrator generates one into {dataDir}/admin-token.
  server = await startZerverless([
    '--auth',
    'on',
    '--workers',
    '0',
    '--request-timeout',
    '2',
    '--max-upload-bytes',
    String(2 * MiB),
  ])
  admin = readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim()
  secret = new TextEncoder().encode(
    readFileSync(path.join(server.dataDir, 'token-secret'), 'utf8').trim(),
  )
  const root = as(admin)

  await issue('alice', { namespaces: ['alice'], rights: RIGHTS, name: 'alice' })
  await issue('aliceDb', { namespaces: ['alice'], rights: ['db'] })
  await issue('everywhere', { namespaces: ['*'], rights: RIGHTS })
  await issue('toRevoke', { namespaces: ['alice'], rights: ['db'] })
  await issue('shortLived', { namespaces: ['alice'], rights: ['db'], expires_in_seconds: 1 })

  // What bob owns, for alice to try her token on.
  bobJob = (await ok(root.post('/api/jobs', { job_type: 'js', code: '1', namespace: 'bob' }), 201))
    .body.id
  for (const n of [1, 2])
    await ok(
      root.post('/api/deploy/bob/fn', {
        runtime: 'js',
        code: `function handle() { return {body: ${n}} }`,
      }),
      201,
    )
  await ok(root.put('/api/db/bob/secret', { value: 'bob-secret' }))
  await ok(
    call(server.url, 'PUT', '/api/storage/bob/secret.txt', { token: admin, body: 'bob' }),
    201,
  )
  const upload = await UploadClient.open(server.url, admin)
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
  bobService = (await upload.expect('FILE_UPLOAD_COMPLETE')).service_id
  await upload.close()

  // Alice's own, for the controls and the public routes.
  aliceJob = (
    await ok(root.post('/api/jobs', { job_type: 'js', code: '1', namespace: 'alice' }), 201)
  ).body.id
  await ok(root.put('/api/db/alice/key', { value: 'alice-value' }))
  await ok(
    call(server.url, 'PUT', '/api/storage/alice/index.html', { token: admin, body: '<p>hi</p>' }),
    201,
  )

  await ok(
    call(server.url, 'PUT', '/api/storage/alice/private.txt?visibility=private', {
      token: admin,
      body: 'alice-private',
    }),
    201,
  )
  // What an encoded URL sliced at the wrong place would name: namespace "e", path "alice/…".
  await ok(
    call(server.url, 'PUT', '/api/storage/e/alice/index.html', { token: admin, body: 'e-secret' }),
    201,
  )

  beforeDisk = diskSnapshot(server.dataDir)
  beforeApi = await apiSnapshot(server.url, admin, NAMESPACES)
})

afterAll(async () => {
  if (process.env.ZV_DEBUG) console.log(server?.output())
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

/** The last test of each group: nothing the attacks tried left a trace. */
function itChangedNothing(): void {
  it('changed nothing on disk or in any namespace', async () => {
    expect(diskSnapshot(server.dataDir)).toEqual(beforeDisk)
    expect(await apiSnapshot(server.url, admin, NAMESPACES)).toEqual(beforeApi)
    expect(existsSync(path.join(path.dirname(server.dataDir), MARKER))).toBe(false)
    expect(existsSync(path.join(os.tmpdir(), MARKER))).toBe(false)
    expect(server.output()).not.toMatch(/unhandled error/)
  })
}

describe('tokens and namespaces', () => {
  it("gives alice's token 403 on every bob route: jobs, deploy, db, storage, services", async () => {
    const alice = tokens.alice!.token
    const deployBody = { runtime: 'js', code: 'function handle() { return {body: "alice"} }' }
    const attempts: [string, string, unknown?][] = [
      ['POST', '/api/jobs', { job_type: 'js', code: '1', namespace: 'bob' }],
      ['POST', '/api/jobs/batch', { job_type: 'js', code: '1', namespace: 'bob', inputs: [{}] }],
      ['GET', '/api/jobs?namespace=bob'],
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${bobJob}`],
      ['GET', `/api/jobs/${bobJob}/outputs`],
      ['DELETE', `/api/jobs/${bobJob}`],
      ['POST', '/api/deploy/bob/fn', deployBody],
      ['POST', '/api/deploy/bob/new', deployBody],
      ['POST', '/api/deploy/b%6Fb/new', deployBody],
      ['POST', '/api/deploy/bob/fn/rollback', {}],
      ['GET', '/api/deploy/bob/fn'],
      ['GET', '/api/deploy/bob/fn/logs'],
      ['GET', '/api/deploy?user=bob'],
      ['GET', '/api/deploy'],
      ['DELETE', '/api/deploy/bob/fn'],
      ['PUT', '/api/db/bob/secret', { value: 'alice was here' }],
      ['PUT', '/api/db/%62ob/secret', { value: 'alice was here' }],
      ['GET', '/api/db/bob/secret'],
      ['GET', '/api/db/bob'],
      ['GET', '/api/db/bob/?prefix=s'],
      ['DELETE', '/api/db/bob/secret'],
      ['PUT', '/api/storage/bob/secret.txt', 'alice was here'],
      ['PUT', '/api/storage/bob/new.txt', 'alice was here'],
      ['GET', '/api/storage/bob/secret.txt'],
      ['GET', '/api/storage/bob'],
      ['DELETE', '/api/storage/bob/secret.txt'],
      [
        'POST',
        '/api/services/standalone/from-local',
        { service_name: 'x', executable_path: '/bin/true', namespace: 'bob' },
      ],
      [
        'POST',
        '/api/services/standalone/from-git',
        {
          service_name: 'x',
          repo_url: 'https://example.com/x.git',
          executable_path: 'x',
          namespace: 'bob',
        },
      ],
      ['GET', '/api/services/standalone?namespace=bob'],
      ['GET', '/api/services/standalone'],
      ['GET', `/api/services/standalone/${bobService}/details`],
      ['POST', `/api/services/standalone/${bobService}/run`, {}],
      ['DELETE', `/api/services/standalone/${bobService}`],
    ]
    for (const [method, route, body] of attempts) {
      const res = await call(server.url, method, route, { token: alice, body })
      expect(res.status, `${method} ${route}: ${res.text}`).toBe(403)
      expect(res.body.code).toBe('FORBIDDEN')
      expectCleanError(res, `${method} ${route}`, server.dataDir)
    }
  })

  it('gives 403 to a token without the right, even in its own namespace', async () => {
    const dbOnly = tokens.aliceDb!.token
    const attempts: [string, string, unknown?][] = [
      ['POST', '/api/jobs', { job_type: 'js', code: '1', namespace: 'alice' }],
      ['GET', '/api/jobs?namespace=alice'],
      ['GET', `/api/jobs/${aliceJob}`],
      ['POST', '/api/deploy/alice/fn', { runtime: 'js', code: 'function handle() {}' }],
      ['PUT', '/api/storage/alice/x.txt', 'x'],
      ['GET', '/api/storage/alice/index.html'],
      [
        'POST',
        '/api/services/standalone/from-local',
        { service_name: 'x', executable_path: '/bin/true', namespace: 'alice' },
      ],
      ['POST', '/api/wasm', 'AGFzbQEAAAA='],
    ]
    for (const [method, route, body] of attempts) {
      const res = await call(server.url, method, route, { token: dbOnly, body })
      expect(res.status, `${method} ${route}: ${res.text}`).toBe(403)
      expectCleanError(res, `${method} ${route}`)
    }
  })

  it('lets each token do what it grants (the control for the refusals)', async () => {
    await ok(as(tokens.alice!.token).get('/api/db/alice/key'))
    await ok(as(tokens.alice!.token).get('/api/storage/alice/index.html'))
    await ok(as(tokens.alice!.token).get(`/api/jobs/${aliceJob}`))
    await ok(as(tokens.aliceDb!.token).get('/api/db/alice/key'))
    await ok(as(tokens.everywhere!.token).get('/api/db/bob/secret'))
  })

  it('refuses an expired token with 401 TOKEN_EXPIRED', async () => {
    const [, payload] = tokens.alice!.token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >
    // Signed with the real secret, for a real token id, but an hour past its expiry.
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret)
    const res = await as(expired).get('/api/db/alice/key')
    expect(res.status, res.text).toBe(401)
    expect(res.body.code).toBe('TOKEN_EXPIRED')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    // And one the admin issued for a second, once the second has passed.
    const shortLived = await eventually(async () => {
      const r = await as(tokens.shortLived!.token).get('/api/db/alice/key')
      return r.status === 401 ? r : undefined
    }, 5_000)
    expect(shortLived.body.code).toBe('TOKEN_EXPIRED')
  })

  it('refuses forged tokens: another key, alg none, a tampered payload, other algorithms', async () => {
    const [header, payload, signature] = tokens.alice!.token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >
    const everything = { ...claims, ns: ['*'], rights: RIGHTS }
    const sign = (alg: string, key: Uint8Array, body: Record<string, unknown> = everything) =>
      new SignJWT(body).setProtectedHeader({ alg, typ: 'JWT' }).sign(key)
    const forged: [string, string][] = [
      ['signed with another key', await sign('HS256', randomBytes(32))],
      ['alg none, no signature', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(everything)}.`],
      ['alg none, old signature', `${b64url({ alg: 'none' })}.${b64url(everything)}.${signature}`],
      [
        'namespaces changed, signature kept',
        `${header}.${b64url({ ...claims, ns: ['bob'] })}.${signature}`,
      ],
      ['rights widened, signature kept', `${header}.${b64url(everything)}.${signature}`],
      ['HS512 with the real secret', await sign('HS512', secret)],
      ['another issuer', await sign('HS256', secret, { ...everything, iss: 'elsewhere' })],
      ['an id never issued', await sign('HS256', secret, { ...everything, jti: randomUUID() })],
      ['a right that does not exist', await sign('HS256', secret, { ...claims, rights: ['root'] })],
      ['garbage', 'not-a-token'],
      ['the admin token with a suffix', `${admin}x`],
      ['far too long', 'a'.repeat(5000)],
    ]
    for (const [what, token] of forged) {
      for (const [method, route, body] of [
        ['GET', '/api/db/bob/secret', undefined],
        ['PUT', '/api/db/bob/secret', { value: 'forged' }],
        ['POST', '/api/tokens', { namespaces: ['*'], rights: RIGHTS }],
      ] as const) {
        const res = await call(server.url, method, route, { token, body })
        expect(res.status, `${what}: ${method} ${route} → ${res.text}`).toBe(401)
        expect(res.headers.get('www-authenticate'), what).toMatch(/^Bearer/)
        expectCleanError(res, what, server.dataDir)
      }
    }
    for (const authorization of [
      'Basic YWRtaW46YWRtaW4=',
      'Bearer',
      'Bearer a b',
      `bearer${admin}`,
    ]) {
      const res = await call(server.url, 'GET', '/api/db/bob/secret', {
        headers: { authorization },
      })
      expect(res.status, `${authorization}: ${res.text}`).toBe(401)
    }
  })

  it('refuses a revoked token with 401 TOKEN_REVOKED', async () => {
    const { token, id } = tokens.toRevoke!
    await ok(as(token).get('/api/db/alice/key'))
    await ok(as(admin).delete(`/api/tokens/${id}`), 204)
    const res = await as(token).get('/api/db/alice/key')
    expect(res.status, res.text).toBe(401)
    expect(res.body.code).toBe('TOKEN_REVOKED')
    const listed = (await as(admin).get('/api/tokens')).body.tokens.find(
      (t: { id: string }) => t.id === id,
    )
    expect(listed.revoked).toBe(true)
  })

  it('keeps /api/tokens, /api/volunteers and /api/peers for the admin', async () => {
    for (const name of ['everywhere', 'alice']) {
      const client = as(tokens[name]!.token)
      const attempts = [
        () => client.get('/api/tokens'),
        () => client.post('/api/tokens', { namespaces: ['*'], rights: RIGHTS }),
        () => client.delete(`/api/tokens/${tokens.alice!.id}`),
        () => client.get('/api/volunteers'),
        () => client.get('/api/peers'),
      ]
      for (const attempt of attempts) {
        const res = await attempt()
        expect(res.status, `${name}: ${res.text}`).toBe(403)
        expectCleanError(res, name)
      }
    }
    // The revocation above did not happen.
    await ok(as(tokens.alice!.token).get('/api/db/alice/key'))
  })

  it('answers 401 with WWW-Authenticate: Bearer when no token is sent', async () => {
    const anonymous = as(undefined)
    const attempts: [string, () => Promise<Res>][] = [
      ['POST /api/jobs', () => anonymous.post('/api/jobs', { job_type: 'js', code: '1' })],
      ['GET /api/jobs', () => anonymous.get('/api/jobs?namespace=alice')],
      ['GET /api/jobs/{id}', () => anonymous.get(`/api/jobs/${aliceJob}`)],
      ['DELETE /api/jobs/{id}', () => anonymous.delete(`/api/jobs/${aliceJob}`)],
      ['POST /api/wasm', () => anonymous.post('/api/wasm', 'AGFzbQEAAAA=')],
      [
        'POST /api/deploy',
        () =>
          anonymous.post('/api/deploy/alice/fn', { runtime: 'js', code: 'function handle() {}' }),
      ],
      ['GET /api/deploy', () => anonymous.get('/api/deploy')],
      ['GET /api/db', () => anonymous.get('/api/db/alice/key')],
      ['PUT /api/db', () => anonymous.put('/api/db/alice/key', { value: 1 })],
      ['GET /api/storage', () => anonymous.get('/api/storage/alice/index.html')],
      ['PUT /api/storage', () => anonymous.put('/api/storage/alice/x.txt', 'x')],
      ['GET /api/services', () => anonymous.get('/api/services/standalone')],
      ['DELETE /api/services', () => anonymous.delete(`/api/services/standalone/${bobService}`)],
      [
        'POST /api/services/from-local',
        () =>
          anonymous.post('/api/services/standalone/from-local', {
            service_name: 'x',
            executable_path: '/bin/true',
          }),
      ],
      ['GET /api/tokens', () => anonymous.get('/api/tokens')],
      ['GET /api/volunteers', () => anonymous.get('/api/volunteers')],
      ['GET /api/peers', () => anonymous.get('/api/peers')],
    ]
    for (const [what, attempt] of attempts) {
      const res = await attempt()
      expect(res.status, `${what}: ${res.text}`).toBe(401)
      expect(res.headers.get('www-authenticate'), what).toMatch(/^Bearer/)
      expectCleanError(res, what)
    }
  })

  it('keeps the upload socket to tokens with the services right', async () => {
    const [, payload] = tokens.everywhere!.token.split('.')
    const refused = {
      'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      forged: await new SignJWT({ ns: ['*'], rights: RIGHTS, jti: tokens.alice!.id })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('zerverless')
        .sign(randomBytes(32)),
      'no services right': tokens.aliceDb!.token,
      revoked: tokens.toRevoke!.token,
      'none at all': undefined,
    }
    for (const [what, token] of Object.entries(refused)) {
      for (const auth of ['header', 'message']) {
        const socket = await UploadClient.open(server.url, auth === 'header' ? token : undefined)
        if (auth === 'message' && token) socket.send({ type: 'AUTH', payload: { token } })
        socket.send(
          fileStart({
            group: 'sneaky',
            serviceName: 'sneaky',
            filePath: 'x.sh',
            bytes: Buffer.from('x'),
            chunkSize: 1024,
            service: { namespace: 'bob' },
          }),
        )
        const reply = await socket.next()
        expect(reply, `${what} in a ${auth}`).toMatchObject({
          type: 'FILE_UPLOAD_ERROR',
          payload: { code: 'UNAUTHORIZED' },
        })
        await socket.close()
      }
    }
  })

  it('keeps a private file to callers with the storage right, and out of /static', async () => {
    const anonymous = as(undefined)
    const hidden = await anonymous.get('/static/alice/private.txt')
    expect(hidden.status, hidden.text).toBe(404)
    expect(hidden.body.code).toBe('FILE_NOT_FOUND')
    expect(hidden.text).not.toContain('alice-private')
    expect((await anonymous.get('/api/storage/alice/private.txt')).status).toBe(401)
    expect((await as(tokens.aliceDb!.token).get('/api/storage/alice/private.txt')).status).toBe(403)
    expect((await as(undefined).get('/api/storage/alice/')).status).toBe(401)
    const read = await ok(as(tokens.alice!.token).get('/api/storage/alice/private.txt'))
    expect(read.text).toBe('alice-private')
    const listed = await ok(as(tokens.alice!.token).get('/api/storage/alice/'))
    expect(listed.body.private).toEqual(['private.txt'])
  })

  it('keeps a percent-encoded URL in the namespace its token was checked for', async () => {
    const alice = as(tokens.alice!.token)
    for (const route of [
      '/api/%73torage/alice/index.html',
      '/api/%73%74orage/alice/index.html',
      '/api/storage/%61lice/index.html',
    ]) {
      const res = await ok(alice.get(route))
      expect(res.text, route).toBe('<p>hi</p>')
    }
    for (const route of ['/%73tatic/alice/index.html', '/static/%61lice/index.html']) {
      const res = await ok(as(undefined).get(route))
      expect(res.text, route).toBe('<p>hi</p>')
    }
  })

  it('keeps /health, /static, /volunteer/, function invocation and /ws/volunteer public', async () => {
    const anonymous = as(undefined)
    expect((await ok(anonymous.get('/health'))).body).toEqual({ status: 'healthy' })
    expect((await ok(anonymous.get('/static/alice/index.html'))).text).toBe('<p>hi</p>')
    expect((await ok(anonymous.get('/static/alice/'))).text).toBe('<p>hi</p>')
    expect((await ok(anonymous.get('/volunteer/'))).headers.get('content-type')).toMatch(/html/)
    // No function there, and no worker here to run one: a 404, not a 401.
    expect((await anonymous.get('/alice/nothing-here')).body.code).toBe('FUNCTION_NOT_FOUND')
    const volunteer = await ScriptedVolunteer.connect(server.wsUrl, { namespaces: ['nobody'] })
    // Welcomed: the orchestrator gave it an id of its own.
    expect(volunteer.volunteerId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    )
    volunteer.close()
    await volunteer.waitClosed()
  })

  itChangedNothing()
})

describe('path traversal', () => {
  /** The data directory's secrets to read or overwrite, and a new file to create beside them. */
  const TARGET_FILES = ['admin-token', 'token-secret', 'zerverless.db', MARKER]
  /** Each `{f}` becomes one of TARGET_FILES. */
  const PAYLOADS = [
    '../../{f}',
    '../../../{f}',
    'a/../../../{f}',
    '..%2f..%2f{f}',
    '..%2F..%2F..%2F{f}',
    '%2e%2e/%2e%2e/{f}',
    '%2e%2e%2f%2e%2e%2f{f}',
    '.%2e/.%2e/{f}',
    '%252e%252e/%252e%252e/{f}',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/{f}',
    '..\\..\\{f}',
    '..%5c..%5c{f}',
    './{f}',
    '/{f}',
    '%2f{f}',
    '/etc/passwd',
    `${'%2F'.repeat(3)}etc%2Fpasswd`,
    'a%00b',
    'a\u0000b',
    'a%0d%0aSet-Cookie:%20x=1',
    'a'.repeat(600),
    `${'a'.repeat(200)}/`.repeat(8) + 'x',
  ]

  const targets = () => {
    const deploy = JSON.stringify({ runtime: 'js', code: 'function handle() {}' })
    return [
      ['GET', (p: string) => `/api/storage/alice/${p}`],
      ['PUT', (p: string) => `/api/storage/alice/${p}`, 'PWNED'],
      ['DELETE', (p: string) => `/api/storage/alice/${p}`],
      ['GET', (p: string) => `/static/alice/${p}`],
      ['GET', (p: string) => `/api/db/alice/${p}`],
      ['PUT', (p: string) => `/api/db/alice/${p}`, '{"value":"PWNED"}'],
      ['DELETE', (p: string) => `/api/db/alice/${p}`],
      ['POST', (p: string) => `/api/deploy/alice/${p}`, deploy],
      ['GET', (p: string) => `/api/deploy/alice/${p}`],
      ['DELETE', (p: string) => `/api/deploy/alice/${p}`],
      ['GET', (p: string) => `/api/jobs/${aliceJob}/outputs/${p}`],
      ['PUT', (p: string) => `/api/jobs/${aliceJob}/outputs/${p}`, 'PWNED'],
      ['GET', (p: string) => `/api/services/standalone/${bobService}/files/${p}`],
      ['GET', (p: string) => `/volunteer/${p}`],
      ['GET', (p: string) => `/alice/${p}`],
    ] as [string, (p: string) => string, string?][]
  }

  it('refuses every traversal on every path-taking route with a clean 4xx', async () => {
    const secrets = [admin, Buffer.from(secret).toString(), 'SQLite format 3']
    const shell = (await ok(as(undefined).get('/volunteer/'))).text
    const paths = new Set(TARGET_FILES.flatMap((f) => PAYLOADS.map((p) => p.replace('{f}', f))))
    for (const p of paths)
      for (const [method, target, body] of targets()) {
        // Decoded once, "%252e" is the literal name "%2e": a file or key inside the namespace
        // that may well be created. Here it must only never be read as "..".
        if (p.includes('%25') && method !== 'GET' && method !== 'DELETE') continue
        const res = await rawRequest(server.url, {
          method,
          target: target(p),
          headers: {
            authorization: `Bearer ${admin}`,
            ...(body?.startsWith('{') && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body }),
        })
        const label = `${method} ${JSON.stringify(target(p)).slice(0, 120)}`
        // The volunteer page is a single-page app: a path it does not have, with no file
        // extension, is one of its pages, and gets the app's shell — never any other file.
        if (res.status === 200 && target(p).startsWith('/volunteer/')) {
          expect(res.body, label).toBe(shell)
          continue
        }
        expectCleanError(res, label, server.dataDir)
        for (const s of secrets) expect(res.body, `${label} reads a secret`).not.toContain(s)
        expect(res.headers['set-cookie'], label).toBeUndefined()
      }
  })

  it('keeps even a valid token for the namespace inside it', async () => {
    const alice = tokens.alice!.token
    for (const target of [
      '/api/storage/alice/../bob/secret.txt',
      '/api/storage/alice/%2e%2e/bob/secret.txt',
      '/api/storage/alice/..%2fbob%2fsecret.txt',
      '/static/alice/../bob/secret.txt',
      '/api/db/alice/../bob/secret',
      '/api/deploy/alice/../bob/fn',
      '/alice/../api/tokens',
      '/api/db/alice/%2e%2e%2f..%2fbob%2fsecret',
    ]) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await rawRequest(server.url, {
          method,
          target,
          headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
          ...(method === 'PUT' && { body: '{"value":"PWNED"}' }),
        })
        expectCleanError(res, `${method} ${target}`, server.dataDir)
        expect(res.body).not.toContain('bob-secret')
      }
    }
  })

  itChangedNothing()
})

describe('oversized requests and slow senders', () => {
  /** The largest module body the wasm routes take (10 MiB of module in base64, plus 1 KiB). */
  const MODULE_LIMIT = Math.ceil((10 * MiB * 4) / 3) + 1024

  it('answers 413 to a body over the limit on every route that takes one', async () => {
    const routes: [string, string, number][] = [
      ['POST', '/api/jobs', MiB],
      ['POST', '/api/jobs/batch', MiB],
      ['POST', '/api/deploy/alice/big', MiB],
      ['POST', '/api/deploy/alice/fn/rollback', MiB],
      ['PUT', '/api/db/alice/big', MiB],
      ['POST', '/api/services/standalone/from-local', MiB],
      ['POST', '/api/services/standalone/from-git', MiB],
      ['POST', '/api/tokens', MiB],
      ['DELETE', `/api/jobs/${aliceJob}`, MiB],
      ['POST', '/alice/fn', MiB],
      ['PUT', '/alice/fn', MiB],
      ['POST', '/api/wasm', MODULE_LIMIT],
      ['POST', `/api/services/standalone/${bobService}/run`, MODULE_LIMIT],
      ['PUT', '/api/storage/alice/big.bin', 2 * MiB],
    ]
    for (const [method, target, limit] of routes) {
      const body = Buffer.alloc(limit + 1, '{')
      // With `Connection: close`: the server answers, then must not reset the connection
      // under its answer while the rest of the body is still coming (see lingering-close.ts).
      const declared = await rawRequest(server.url, {
        method,
        target,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body,
      })
      expect(declared.status, `${method} ${target} → ${declared.body}`).toBe(413)
      expectCleanError(declared, `${method} ${target}`)
    }
  })

  it('answers 413 to a chunked body that grows past the limit', async () => {
    const routes: [string, string, number][] = [
      ['POST', '/api/jobs', MiB],
      ['PUT', '/api/db/alice/big', MiB],
      ['POST', '/api/deploy/alice/big', MiB],
      ['PUT', '/api/storage/alice/big.bin', 2 * MiB],
    ]
    for (const [method, target, limit] of routes) {
      const chunk = Buffer.alloc(64 * 1024, '[')
      const pieces: Buffer[] = []
      for (let sent = 0; sent <= limit; sent += chunk.length)
        pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
      pieces.push(Buffer.from('0\r\n\r\n'))
      const res = await rawRequest(server.url, {
        method,
        target,
        keepAlive: true,
        headers: {
          authorization: `Bearer ${admin}`,
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        },
        body: Buffer.concat(pieces),
      })
      expect(res.status, `${method} ${target} chunked → ${res.body}`).toBe(413)
      expectCleanError(res, `${method} ${target} chunked`)
    }
    expect(readdirSync(path.join(server.dataDir, 'storage', '.uploads'))).toEqual([])
  })

  it('answers 431 to headers over the limit', async () => {
    const res = await rawRequest(server.url, {
      target: '/health',
      headers: { 'x-padding': 'a'.repeat(20 * 1024) },
    })
    expect(res.status).toBe(431)
  })

  it('cuts off clients that send headers or a body too slowly (--request-timeout 2)', async () => {
    const auth = `Authorization: Bearer ${admin}\r\n`
    const slow = (head: string, drip: string) => slowRequest(server.url, head, drip, 200, 8_000)
    const [headers, jobBody, upload] = await Promise.all([
      slow('GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n'),
      slow(
        `POST /api/jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"job_type":"js","code":"`,
        'a',
      ),
      slow(
        `PUT /api/storage/alice/slow.bin HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100000\r\n\r\n`,
        'a',
      ),
    ])
    for (const [what, cut] of Object.entries({ headers, jobBody, upload })) {
      // Cut off near the 2 s timeout (Node checks every 500 ms here), not at the 8 s limit.
      expect(cut.elapsedMs, what).toBeGreaterThan(1_500)
      expect(cut.elapsedMs, what).toBeLessThan(5_000)
      if (cut.response) expect(cut.response.status, what).toBe(408)
    }
    await ok(as(undefined).get('/health'))
    expect((await as(admin).get('/api/storage/alice/slow.bin')).status).toBe(404)
    await eventually(
      () => readdirSync(path.join(server.dataDir, 'storage', '.uploads')).length === 0 || undefined,
      5_000,
      'the cut-off upload to be cleaned up',
    )
  })

  it('still takes a body sent at a normal pace', async () => {
    const res = await rawRequest(server.url, {
      target: '/api/db/alice/key',
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(res.status).toBe(200)
  })

  itChangedNothing()
})

describe('fuzzed JSON bodies', () => {
  /** Each route with a body it accepts; fuzzing mutates that body or replaces it outright. */
  const routes: [string, string, Record<string, unknown>][] = [
    ['POST', '/api/jobs', { job_type: 'js', code: '1', namespace: 'fuzz', timeout_seconds: 5 }],
    [
      'POST',
      '/api/jobs/batch',
      { job_type: 'lua', code: 'return 1', namespace: 'fuzz', inputs: [{ n: 1 }] },
    ],
    ['POST', '/api/deploy/fuzz/fn', { runtime: 'js', code: 'function handle() { return {} }' }],
    ['PUT', '/api/db/fuzz/key', { value: { a: [1, 'two'] }, ttl: 60 }],
    [
      'POST',
      '/api/services/standalone/from-local',
      { service_name: 'fuzz-svc', executable_path: '/bin/true', namespace: 'fuzz' },
    ],
    ['POST', '/api/tokens', { namespaces: ['fuzz'], rights: ['db'], expires_in_seconds: 60 }],
  ]
  /** 503s that are answers, not failures: here no runner is connected for services. */
  const CAPACITY = new Set(['NO_RUNNERS'])

  async function expectHandled(method: string, route: string, body: string): Promise<void> {
    const res = await call(server.url, method, route, {
      token: admin,
      body,
      headers: { 'content-type': 'application/json' },
    })
    const label = `${method} ${route} ${body.slice(0, 200)} → ${res.status} ${res.text.slice(0, 200)}`
    if (res.status === 503) expect(CAPACITY.has(res.body.code), label).toBe(true)
    else expect(res.status, label).toBeLessThan(500)
    if (res.status >= 400) {
      expect(typeof res.body.error, label).toBe('string')
      expect(typeof res.body.code, label).toBe('string')
      expectNoInternals(res, label, server.dataDir)
    }
  }

  const mutated = (valid: Record<string, unknown>) =>
    fc
      .record({
        drop: fc.subarray(Object.keys(valid)),
        set: fc.dictionary(
          fc.oneof(fc.constantFrom(...Object.keys(valid)), fc.string({ maxLength: 12 })),
          fc.jsonValue({ maxDepth: 4 }),
          { maxKeys: 4 },
        ),
      })
      .map(({ drop, set }) => {
        const body: Record<string, unknown> = { ...valid, ...set }
        for (const key of drop) if (!(key in set)) delete body[key]
        return JSON.stringify(body)
      })

  const anything = fc.oneof(
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.string({ maxLength: 200 }),
    fc.nat({ max: 200 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.nat({ max: 200 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  )

  for (const [method, route, valid] of routes) {
    it(`never fails on ${method} ${route}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(mutated(valid), anything), (body) =>
          expectHandled(method, route, body),
        ),
        { numRuns: 120 },
      )
    })
  }

  it('never fails on a token lacking the namespace either', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(routes[0]![2]), async (body) => {
        const res = await call(server.url, 'POST', '/api/jobs', {
          token: tokens.alice!.token,
          body,
        })
        expect(res.status, `${body} → ${res.text}`).toBeLessThan(500)
      }),
      { numRuns: 60 },
    )
    expect(server.output()).not.toMatch(/unhandled error/)
  })
})

// ─── functions and sockets: a second orchestrator, with one honest internal worker ───────────

describe('function responses and WebSocket abuse', () => {
  const ADMIN = `zv_admin_${randomUUID()}`
  let live: ZerverlessProcess
  const root = {
    post: (route: string, body: unknown) => call(live.url, 'POST', route, { token: ADMIN, body }),
    get: (route: string) => call(live.url, 'GET', route, { token: ADMIN }),
  }

  beforeAll(async () => {
    live = await startZerverless(['--auth', 'on', '--workers', '1'], tempDir(), {
      ZERVERLESS_ADMIN_TOKEN: ADMIN,
    })
    await eventually(async () => {
      const stats = await call(live.url, 'GET', '/stats')
      return stats.body.volunteers.idle === 1 || undefined
    }, 20_000)
  })

  afterAll(async () => {
    if (process.env.ZV_DEBUG) console.log(live?.output())
    await live?.stop()
    if (live) removeDir(live.dataDir)
  })

  /** Jobs for the honest worker: they must all complete while the abuse goes on. */
  async function honestBatch(n = 20): Promise<void> {
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
  }

  it('serves functions to callers without a token', async () => {
    const deployed = await root.post('/api/deploy/pub/hello', {
      runtime: 'js',
      code: 'function handle(req) { return {body: "hello " + req.method} }',
    })
    expect(deployed.status, deployed.text).toBe(201)
    const res = await call(live.url, 'POST', '/pub/hello', { body: 'x' })
    expect(res.status, res.text).toBe(200)
    expect(res.text).toBe('hello POST')
  })

  it('turns CR, LF and other bad header bytes in a function response into a clean 502', async () => {
    const headers: [string, string, string][] = [
      ['js', 'X-A', 'a\r\nSet-Cookie: pwned=1'],
      ['js', 'X-A', 'a\nSet-Cookie: pwned=1'],
      ['js', 'X-A', 'a\rSet-Cookie: pwned=1'],
      ['js', 'X-A', 'a\r\n\r\n<script>pwned()</script>'],
      ['js', 'X-A\r\nSet-Cookie: pwned=1\r\nX-B', '1'],
      ['js', 'X A', '1'],
      ['js', 'X-A:', '1'],
      ['js', '', '1'],
      ['js', 'X-Ä', '1'],
      ['js', 'X-A', 'a\u0000b'],
      ['js', 'X-A', 'a\u0001b'],
      ['js', 'X-A', 'a\u007fb'],
      ['js', 'X-A', 'snow \u2603'],
      ['lua', 'X-A', 'a\r\nSet-Cookie: pwned=1'],
    ]
    for (const [index, [runtime, name, value]] of headers.entries()) {
      const table =
        runtime === 'js'
          ? `function handle() { return {status: 200, headers: {${JSON.stringify(name)}: ${JSON.stringify(value)}}, body: "ok"} }`
          : `function handle() return {status=200, headers={[${JSON.stringify(name)}]=${JSON.stringify(value)}}, body="ok"} end`
      const deployed = await root.post(`/api/deploy/inject/h${index}`, { runtime, code: table })
      expect(deployed.status, deployed.text).toBe(201)
      const res = await rawRequest(live.url, { target: `/inject/h${index}` })
      const label = `${runtime} ${JSON.stringify(name)}: ${JSON.stringify(value)} → ${res.status} ${res.head}`
      expect(res.status, label).toBe(502)
      expect(JSON.parse(res.body).code, label).toBe('BAD_FUNCTION_RESPONSE')
      expect(res.headers['set-cookie'], label).toBeUndefined()
      expect(res.head, label).not.toMatch(/pwned/i)
      expectNoInternals(res, label, live.dataDir)
    }
    // A good header still goes through.
    await root.post('/api/deploy/inject/good', {
      runtime: 'js',
      code: 'function handle() { return {headers: {"X-Good": "yes; a=1"}, body: "ok"} }',
    })
    const good = await rawRequest(live.url, { target: '/inject/good' })
    expect(good.status).toBe(200)
    expect(good.headers['x-good']).toBe('yes; a=1')
  })

  it('closes a socket that sends an oversized frame, and keeps serving', async () => {
    const volunteer = await ScriptedVolunteer.connect(live.wsUrl, { namespaces: ['nobody'] })
    volunteer.send('x'.repeat(16 * MiB + 1))
    expect((await volunteer.waitClosed()).code).toBe(1009)
    await ok(call(live.url, 'GET', '/health'))
    await honestBatch(5)
  })

  it('closes an upload socket that sends an oversized frame or floods messages', async () => {
    const big = await UploadClient.open(live.url, ADMIN)
    big.send('x'.repeat(16 * MiB + 1))
    expect((await big.waitClosed()).code).toBe(1009)
    // Not even authenticated: its messages are answered, then dropped, then it is closed.
    const flood = await UploadClient.open(live.url)
    const honest = honestBatch(10)
    for (let i = 0; i < 20_000; i++) flood.send('{}')
    expect((await flood.waitClosed()).code).toBe(1008)
    await honest
    await ok(call(live.url, 'GET', '/health'))
  })

  it('closes a volunteer flooding frames with 1008 while an honest worker completes jobs', async () => {
    const flooder = await ScriptedVolunteer.connect(live.wsUrl, { namespaces: ['nobody'] })
    const honest = honestBatch(20)
    // Far past the per-socket message rate: heartbeats are the cheapest frame to answer.
    for (let i = 0; i < 50_000 && flooder.isOpen; i++) flooder.send(HEARTBEAT_FRAME)
    const closed = await flooder.waitClosed(15_000)
    expect(closed.code).toBe(1008)
    expect(flooder.frames.some((f) => f.type === 'error' && f.code === 'RATE_LIMITED')).toBe(true)
    await honest
  })

  it('closes a volunteer sending malformed frames with 1008 after a few', async () => {
    const junk = await ScriptedVolunteer.connect(live.wsUrl, { namespaces: ['nobody'] })
    const honest = honestBatch(10)
    for (let i = 0; i < 1000 && junk.isOpen; i++) junk.send(`{"type":"result","job_id":${i}`)
    expect((await junk.waitClosed(15_000)).code).toBe(1008)
    await honest
  })

  it('opens many sockets at once without losing the honest worker', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 50 }, () => ScriptedVolunteer.connect(live.wsUrl, false)),
    )
    await honestBatch(10)
    for (const socket of sockets) socket.close()
    await Promise.all(sockets.map((s) => s.waitClosed()))
    expect(live.output()).not.toMatch(/unhandled error/)
  })
})
