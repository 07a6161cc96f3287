/**
 * Security: other namespaces' tokens, expired, forged, `alg: none` and revoked tokens, the admin's
 * routes, the upload socket and what stays public, against the core in this process with auth on
 * (the attacks are on the API, not on the HTTP server). Every attempt must get a clean 4xx — never a 5xx, never a hang, never server internals — and
 * leave the data directory and every namespace as they were.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  attackApp,
  b64url,
  call,
  expectCleanError,
  itChangedNothing,
  ok,
  RIGHTS,
  type AttackTarget,
  type Res,
} from '../helpers/attack-target'
import { eventually } from '../helpers/eventually'
import type { TestApp } from '../helpers/test-app'
import { fileStart } from '../helpers/upload-client'

let t: AttackTarget & { app: TestApp }

beforeAll(async () => {
  t = await attackApp()
})

afterAll(async () => {
  await t?.stop()
})

describe('tokens and namespaces', () => {
  it("gives alice's token 403 on every bob route: jobs, deploy, db, storage, services", async () => {
    const alice = t.tokens.alice!.token
    const deployBody = { runtime: 'js', code: 'function handle() { return {body: "alice"} }' }
    const attempts: [string, string, unknown?][] = [
      ['POST', '/api/jobs', { job_type: 'js', code: '1', namespace: 'bob' }],
      ['POST', '/api/jobs/batch', { job_type: 'js', code: '1', namespace: 'bob', inputs: [{}] }],
      ['GET', '/api/jobs?namespace=bob'],
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${t.bobJob}`],
      ['GET', `/api/jobs/${t.bobJob}/outputs`],
      ['DELETE', `/api/jobs/${t.bobJob}`],
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
      ['GET', `/api/services/standalone/${t.bobService}/details`],
      ['POST', `/api/services/standalone/${t.bobService}/run`, {}],
      ['DELETE', `/api/services/standalone/${t.bobService}`],
    ]
    for (const [method, route, body] of attempts) {
      const res = await call(t.http, method, route, { token: alice, body })
      expect(res.status, `${method} ${route}: ${res.text}`).toBe(403)
      expect(res.body.code).toBe('FORBIDDEN')
      expectCleanError(res, `${method} ${route}`, t.dataDir)
    }
  })

  it('gives 403 to a token without the right, even in its own namespace', async () => {
    const dbOnly = t.tokens.aliceDb!.token
    const attempts: [string, string, unknown?][] = [
      ['POST', '/api/jobs', { job_type: 'js', code: '1', namespace: 'alice' }],
      ['GET', '/api/jobs?namespace=alice'],
      ['GET', `/api/jobs/${t.aliceJob}`],
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
      const res = await call(t.http, method, route, { token: dbOnly, body })
      expect(res.status, `${method} ${route}: ${res.text}`).toBe(403)
      expectCleanError(res, `${method} ${route}`)
    }
  })

  it('lets each token do what it grants (the control for the refusals)', async () => {
    await ok(t.as(t.tokens.alice!.token).get('/api/db/alice/key'))
    await ok(t.as(t.tokens.alice!.token).get('/api/storage/alice/index.html'))
    await ok(t.as(t.tokens.alice!.token).get(`/api/jobs/${t.aliceJob}`))
    await ok(t.as(t.tokens.aliceDb!.token).get('/api/db/alice/key'))
    await ok(t.as(t.tokens.everywhere!.token).get('/api/db/bob/secret'))
  })

  it('refuses an expired token with 401 TOKEN_EXPIRED', async () => {
    const [, payload] = t.tokens.alice!.token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >
    // Signed with the real secret, for a real token id, but an hour past its expiry.
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(t.secret)
    const res = await t.as(expired).get('/api/db/alice/key')
    expect(res.status, res.text).toBe(401)
    expect(res.body.code).toBe('TOKEN_EXPIRED')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    // And one the admin issued for a second, once the second has passed.
    const shortLived = await eventually(async () => {
      const r = await t.as(t.tokens.shortLived!.token).get('/api/db/alice/key')
      return r.status === 401 ? r : undefined
    }, 5_000)
    expect(shortLived.body.code).toBe('TOKEN_EXPIRED')
  })

  it('refuses forged tokens: another key, alg none, a tampered payload, other algorithms', async () => {
    const [header, payload, signature] = t.tokens.alice!.token.split('.') as [
      string,
      string,
      string,
    ]
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
      ['HS512 with the real secret', await sign('HS512', t.secret)],
      ['another issuer', await sign('HS256', t.secret, { ...everything, iss: 'elsewhere' })],
      ['an id never issued', await sign('HS256', t.secret, { ...everything, jti: randomUUID() })],
      [
        'a right that does not exist',
        await sign('HS256', t.secret, { ...claims, rights: ['root'] }),
      ],
      ['garbage', 'not-a-token'],
      ['the admin token with a suffix', `${t.admin}x`],
      ['far too long', 'a'.repeat(5000)],
    ]
    for (const [what, token] of forged) {
      for (const [method, route, body] of [
        ['GET', '/api/db/bob/secret', undefined],
        ['PUT', '/api/db/bob/secret', { value: 'forged' }],
        ['POST', '/api/tokens', { namespaces: ['*'], rights: RIGHTS }],
      ] as const) {
        const res = await call(t.http, method, route, { token, body })
        expect(res.status, `${what}: ${method} ${route} → ${res.text}`).toBe(401)
        expect(res.headers.get('www-authenticate'), what).toMatch(/^Bearer/)
        expectCleanError(res, what, t.dataDir)
      }
    }
    for (const authorization of [
      'Basic YWRtaW46YWRtaW4=',
      'Bearer',
      'Bearer a b',
      `bearer${t.admin}`,
    ]) {
      const res = await call(t.http, 'GET', '/api/db/bob/secret', {
        headers: { authorization },
      })
      expect(res.status, `${authorization}: ${res.text}`).toBe(401)
    }
  })

  it('refuses a revoked token with 401 TOKEN_REVOKED', async () => {
    const { token, id } = t.tokens.toRevoke!
    await ok(t.as(token).get('/api/db/alice/key'))
    await ok(t.as(t.admin).delete(`/api/tokens/${id}`), 204)
    const res = await t.as(token).get('/api/db/alice/key')
    expect(res.status, res.text).toBe(401)
    expect(res.body.code).toBe('TOKEN_REVOKED')
    const listed = (await t.as(t.admin).get('/api/tokens')).body.tokens.find(
      (t: { id: string }) => t.id === id,
    )
    expect(listed.revoked).toBe(true)
  })

  it('keeps /api/tokens, /api/volunteers and /api/peers for the admin', async () => {
    for (const name of ['everywhere', 'alice']) {
      const client = t.as(t.tokens[name]!.token)
      const attempts = [
        () => client.get('/api/tokens'),
        () => client.post('/api/tokens', { namespaces: ['*'], rights: RIGHTS }),
        () => client.delete(`/api/tokens/${t.tokens.alice!.id}`),
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
    await ok(t.as(t.tokens.alice!.token).get('/api/db/alice/key'))
  })

  it('answers 401 with WWW-Authenticate: Bearer when no token is sent', async () => {
    const anonymous = t.as(undefined)
    const attempts: [string, () => Promise<Res>][] = [
      ['POST /api/jobs', () => anonymous.post('/api/jobs', { job_type: 'js', code: '1' })],
      ['GET /api/jobs', () => anonymous.get('/api/jobs?namespace=alice')],
      ['GET /api/jobs/{id}', () => anonymous.get(`/api/jobs/${t.aliceJob}`)],
      ['DELETE /api/jobs/{id}', () => anonymous.delete(`/api/jobs/${t.aliceJob}`)],
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
      ['DELETE /api/services', () => anonymous.delete(`/api/services/standalone/${t.bobService}`)],
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
    const [, payload] = t.tokens.everywhere!.token.split('.')
    const refused = {
      'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      forged: await new SignJWT({ ns: ['*'], rights: RIGHTS, jti: t.tokens.alice!.id })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('zerverless')
        .sign(randomBytes(32)),
      'no services right': t.tokens.aliceDb!.token,
      revoked: t.tokens.toRevoke!.token,
      'none at all': undefined,
    }
    for (const [what, token] of Object.entries(refused)) {
      for (const auth of ['header', 'message']) {
        const socket = await t.openUpload(auth === 'header' ? token : undefined)
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
    const anonymous = t.as(undefined)
    const hidden = await anonymous.get('/static/alice/private.txt')
    expect(hidden.status, hidden.text).toBe(404)
    expect(hidden.body.code).toBe('FILE_NOT_FOUND')
    expect(hidden.text).not.toContain('alice-private')
    expect((await anonymous.get('/api/storage/alice/private.txt')).status).toBe(401)
    expect((await t.as(t.tokens.aliceDb!.token).get('/api/storage/alice/private.txt')).status).toBe(
      403,
    )
    expect((await t.as(undefined).get('/api/storage/alice/')).status).toBe(401)
    const read = await ok(t.as(t.tokens.alice!.token).get('/api/storage/alice/private.txt'))
    expect(read.text).toBe('alice-private')
    const listed = await ok(t.as(t.tokens.alice!.token).get('/api/storage/alice/'))
    expect(listed.body.private).toEqual(['private.txt'])
  })

  it('keeps a percent-encoded URL in the namespace its token was checked for', async () => {
    const alice = t.as(t.tokens.alice!.token)
    for (const route of [
      '/api/%73torage/alice/index.html',
      '/api/%73%74orage/alice/index.html',
      '/api/storage/%61lice/index.html',
    ]) {
      const res = await ok(alice.get(route))
      expect(res.text, route).toBe('<p>hi</p>')
    }
    for (const route of ['/%73tatic/alice/index.html', '/static/%61lice/index.html']) {
      const res = await ok(t.as(undefined).get(route))
      expect(res.text, route).toBe('<p>hi</p>')
    }
  })

  it('keeps /health, /static, /volunteer/, function invocation and /ws/volunteer public', async () => {
    const anonymous = t.as(undefined)
    expect((await ok(anonymous.get('/health'))).body).toEqual({ status: 'healthy' })
    expect((await ok(anonymous.get('/static/alice/index.html'))).text).toBe('<p>hi</p>')
    expect((await ok(anonymous.get('/static/alice/'))).text).toBe('<p>hi</p>')
    expect((await ok(anonymous.get('/volunteer/'))).headers.get('content-type')).toMatch(/html/)
    // No function there, and no worker here to run one: a 404, not a 401.
    expect((await anonymous.get('/alice/nothing-here')).body.code).toBe('FUNCTION_NOT_FOUND')
    const volunteer = await t.app.scripted({ namespaces: ['nobody'] })
    // Welcomed: the orchestrator gave it an id of its own.
    expect(volunteer.volunteerId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    )
    volunteer.close()
    await volunteer.waitClosed()
  })

  itChangedNothing(() => t)
})
