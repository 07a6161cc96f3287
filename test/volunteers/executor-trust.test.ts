/**
 * Executor trust on the Node host: the shared rules (see contract/executor-trust-contract.ts)
 * against a real server with auth on and no internal workers, then what only Node has: internal
 * workers trusted by a credential the process makes, `zerverless --worker --token`, the real
 * `zerverless-runner --token` with an issued token, and revoking a volunteer's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeExecutorTrust, TRUST_ADMIN } from '../contract/executor-trust-contract'
import { startRunner, stopRunner } from '../helpers/runner-process'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { startWorker } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

describeExecutorTrust('Node', async () => {
  const server = await startZerverless(['--auth', 'on', '--workers', '0'], undefined, {
    ZERVERLESS_ADMIN_TOKEN: TRUST_ADMIN,
  })
  return {
    url: server.url,
    wsUrl: server.wsUrl,
    runnerWsUrl: server.wsUrl,
    stop: async () => {
      await server.stop()
      removeDir(server.dataDir)
    },
  }
})

/** A JSON client that sends `token` as a Bearer header. */
function as(base: string, token?: string) {
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(base + route, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
  return {
    get: (route: string) => call('GET', route),
    post: (route: string, body: unknown) => call('POST', route, body),
    delete: (route: string) => call('DELETE', route),
  }
}

describe('executors only the Node host has (auth on)', () => {
  let server: ZerverlessProcess
  let admin: ReturnType<typeof as>
  let alice: ReturnType<typeof as>

  const issue = async (namespaces: string[], rights: string[]) => {
    const res = await admin.post('/api/tokens', { namespaces, rights })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body as { token: string; id: string }
  }

  beforeAll(async () => {
    server = await startZerverless(['--auth', 'on', '--workers', '1'], undefined, {
      ZERVERLESS_ADMIN_TOKEN: TRUST_ADMIN,
    })
    admin = as(server.url, TRUST_ADMIN)
    alice = as(server.url, (await issue(['alice'], ['jobs', 'db', 'deploy'])).token)
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('trusts its own internal workers, so the counter function and trusted jobs run', async () => {
    const listed = await eventually(async () => {
      const res = await admin.get('/api/volunteers')
      return res.body.total === 1 ? res : undefined
    })
    expect(listed.body.volunteers).toMatchObject([{ identity: 'internal', trusted: true }])
    const deployed = await alice.post('/api/deploy/alice/count', {
      runtime: 'js',
      code: 'function handle() { const n = (db.get("hits") ?? 0) + 1; db.set("hits", n); return {body: {hits: n}} }',
    })
    expect(deployed.status).toBe(201)
    expect(await (await fetch(`${server.url}/alice/count`)).json()).toEqual({ hits: 1 })
    expect(await (await fetch(`${server.url}/alice/count`)).json()).toEqual({ hits: 2 })
    const job = await alice.post('/api/jobs', {
      job_type: 'js',
      code: 'db.get("hits")',
      namespace: 'alice',
      executor: 'trusted',
    })
    const done = await alice.get(`/api/jobs/${job.body.id}?wait=20`)
    expect(done.body).toMatchObject({ status: 'completed', result: 2, executor: 'trusted' })
  })

  it('trusts `zerverless --worker --token` for the namespaces of its token', async () => {
    const { token } = await issue(['carol'], ['volunteer'])
    const carol = as(server.url, (await issue(['carol'], ['jobs', 'db'])).token)
    const worker = startWorker(server.wsUrl, 1, ['--token', token])
    try {
      await eventually(() => worker.volunteerIds().length === 1 || undefined, 20_000, 'worker')
      const listed = (await admin.get('/api/volunteers')).body.volunteers as any[]
      expect(listed.find((v) => v.id === worker.volunteerIds()[0])).toMatchObject({
        identity: 'token',
        trusted: true,
        namespaces: ['carol'],
      })
      const job = await carol.post('/api/jobs', {
        job_type: 'lua',
        code: 'db.set("k", 7); return db.get("k")',
        namespace: 'carol',
        executor: 'trusted',
      })
      const done = await carol.get(`/api/jobs/${job.body.id}?wait=20`)
      expect(done.body).toMatchObject({ status: 'completed', result: 7 })
      expect(done.body.volunteer_id).toBe(worker.volunteerIds()[0])
    } finally {
      await worker.kill()
    }
  })

  it('lets `zerverless-runner --token` in with an issued runner token, and keeps it out without', async () => {
    const refused = await startRunner(server.url, [], { waitForConnection: false })
    try {
      await eventually(() => refused.output().includes('UNAUTHORIZED') || undefined, 20_000)
      expect((await admin.get('/api/peers')).body.total).toBe(0)
    } finally {
      await stopRunner(refused)
    }
    const { token } = await issue(['dave'], ['runner'])
    const runner = await startRunner(server.url, ['--token', token, '--no-native'])
    try {
      const peers = (await admin.get('/api/peers')).body
      expect(peers.peers).toMatchObject([{ identity: 'token', namespaces: ['dave'] }])
      const dave = as(server.url, (await issue(['dave'], ['jobs'])).token)
      const job = await dave.post('/api/jobs', {
        job_type: 'js',
        code: '6 * 7',
        namespace: 'dave',
        executor: 'trusted',
      })
      const done = await dave.get(`/api/jobs/${job.body.id}?wait=20`)
      expect(done.body).toMatchObject({ status: 'completed', result: 42 })
    } finally {
      await stopRunner(runner)
    }
  }, 60_000)

  it('disconnects a volunteer when its token is revoked', async () => {
    const issued = await issue(['erin'], ['volunteer'])
    const v = await ScriptedVolunteer.connect(`${server.wsUrl}?token=${issued.token}`, {
      runtimes: ['js'],
    })
    expect((await admin.delete(`/api/tokens/${issued.id}`)).status).toBe(204)
    expect((await v.waitClosed()).code).toBe(1008)
    expect(v.frames.at(-1)).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' })
    const again = await ScriptedVolunteer.connect(`${server.wsUrl}?token=${issued.token}`, false)
    again.send({
      type: 'hello',
      protocol: 1,
      agent: { kind: 'node' },
      capabilities: { runtimes: ['js'], concurrency: 1 },
    })
    expect((await again.next('error')).message).toMatch(/revoked/)
    expect((await again.waitClosed()).code).toBe(1008)
  })
})
