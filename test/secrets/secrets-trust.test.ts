/**
 * Who may receive secrets, on a real server over real WebSockets: a browser tab (anonymous, or
 * with a volunteer token, auth on or off) is never sent work that declares them, which waits for
 * an executor the admin vouched for (the runner token, a token with the `runner` right); what such
 * an executor sends back is redacted by the orchestrator. And who may manage them: the `secrets`
 * right on the namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { startWorker } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const VALUE = 'ghp_secretvalue_9d8c7b6a'
const RUNNER_TOKEN = 'runner-token-for-secrets-test-0123456789'
const ADMIN = 'admin-token-for-secrets-test-0123456789abcdef'
const BROWSER = { agent: { kind: 'browser', name: 'tab' } }

/** A JSON client that sends `token` as a Bearer header. */
function as(base: string, token?: string): ApiClient {
  return api((route, init) =>
    fetch(base + route, {
      ...init,
      headers: { ...init?.headers, ...(token && { authorization: `Bearer ${token}` }) },
    }),
  )
}

describe('secrets with auth off: a browser tab never gets them', () => {
  let server: ZerverlessProcess
  let client: ApiClient

  beforeAll(async () => {
    server = await startZerverless(['--workers', '0', '--runner-token', RUNNER_TOKEN])
    client = api(server.url)
    expect((await client.put('/api/secrets/alice/API_KEY', { value: VALUE })).status).toBe(201)
    expect((await client.put('/api/secrets/alice/TEMP', { value: 'temporary-value' })).status).toBe(
      201,
    )
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('keeps the job queued while browser tabs are connected, even one holding the runner token', async () => {
    const tab = await ScriptedVolunteer.connect(server.wsUrl, {}, { hello: BROWSER })
    const tokenTab = await ScriptedVolunteer.connect(
      server.wsUrl,
      {},
      { hello: { ...BROWSER, token: RUNNER_TOKEN } },
    )
    try {
      // They are live volunteers: plain work reaches them.
      for (let i = 0; i < 2; i++) {
        const plain = await client.post('/api/jobs', {
          job_type: 'js',
          namespace: 'alice',
          code: '1',
        })
        expect(plain.status).toBe(201)
      }
      const jobs = [await tab.next('job'), await tokenTab.next('job')]
      tab.complete(jobs[0] as never, 1)
      tokenTab.complete(jobs[1] as never, 1)
      const secret = await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'alice',
        code: 'SECRETS.API_KEY',
        secrets: ['API_KEY'],
      })
      expect(secret.status).toBe(201)
      await Promise.all([tab.expectNo('job', 1500), tokenTab.expectNo('job', 1500)])
      expect((await client.get(`/api/jobs/${secret.body.id}`)).body.status).toBe('pending')
      expect(tab.frames.some((f) => JSON.stringify(f).includes(VALUE))).toBe(false)
      expect(tokenTab.frames.some((f) => JSON.stringify(f).includes(VALUE))).toBe(false)
      // The runner token outside a browser: it gets the queued job, values in the frame.
      const runner = await ScriptedVolunteer.connect(
        server.wsUrl,
        {},
        { hello: { token: RUNNER_TOKEN } },
      )
      try {
        const frame = await runner.next('job')
        expect(frame.job_id).toBe(secret.body.id)
        expect(frame.secrets).toEqual({ API_KEY: VALUE })
        // Whatever it sends back is redacted before it is kept.
        runner.send({
          type: 'result',
          job_id: frame.job_id,
          attempt: frame.attempt,
          result: { leaked: VALUE, [VALUE]: 'as a key', quoted: JSON.stringify(VALUE) },
          output: `token=${VALUE}\n`,
        })
        const done = await client.get(`/api/jobs/${secret.body.id}?wait=10`)
        expect(done.body).toMatchObject({
          status: 'completed',
          result: {
            leaked: '[secret API_KEY]',
            '[secret API_KEY]': 'as a key',
            quoted: '"[secret API_KEY]"',
          },
          output: 'token=[secret API_KEY]\n',
        })
        expect(JSON.stringify(done.body)).not.toContain(VALUE)
      } finally {
        runner.close()
      }
    } finally {
      tab.close()
      tokenTab.close()
    }
  })

  it('runs on `zerverless --worker --token <runner token>`, and fails a job whose secret was deleted meanwhile', async () => {
    const tab = await ScriptedVolunteer.connect(server.wsUrl, {}, { hello: BROWSER })
    try {
      const kept = await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'alice',
        code: 'SECRETS.API_KEY.length',
        secrets: ['API_KEY'],
      })
      const orphaned = await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'alice',
        code: 'SECRETS.TEMP',
        secrets: ['TEMP'],
      })
      await tab.expectNo('job', 1000)
      expect((await client.delete('/api/secrets/alice/TEMP')).status).toBe(204)
      const worker = startWorker(server.wsUrl, 1, ['--token', RUNNER_TOKEN])
      try {
        const done = await client.get(`/api/jobs/${kept.body.id}?wait=30`)
        expect(done.body).toMatchObject({ status: 'completed', result: VALUE.length })
        const failed = await client.get(`/api/jobs/${orphaned.body.id}?wait=30`)
        expect(failed.body).toMatchObject({ status: 'failed', error: { code: 'SECRET_NOT_FOUND' } })
        expect(failed.body.error.message).toContain("'TEMP'")
      } finally {
        await worker.kill()
      }
      expect(tab.frames.filter((f) => f.type === 'job')).toEqual([])
    } finally {
      tab.close()
    }
  })
})

describe('secrets with auth on', () => {
  let server: ZerverlessProcess
  let admin: ApiClient
  let alice: ApiClient

  const issue = async (namespaces: string[], rights: string[]) => {
    const res = await admin.post('/api/tokens', { namespaces, rights })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.token as string
  }

  beforeAll(async () => {
    server = await startZerverless(['--auth', 'on', '--workers', '0'], undefined, {
      ZERVERLESS_ADMIN_TOKEN: ADMIN,
    })
    admin = as(server.url, ADMIN)
    alice = as(server.url, await issue(['alice'], ['jobs', 'secrets']))
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('needs the secrets right on the namespace for every route', async () => {
    expect((await alice.put('/api/secrets/alice/API_KEY', { value: VALUE })).status).toBe(201)
    const bob = as(server.url, await issue(['bob'], ['secrets', 'jobs']))
    const jobsOnly = as(server.url, await issue(['alice'], ['jobs', 'db']))
    const nobody = as(server.url)
    for (const [who, status] of [
      [bob, 403],
      [jobsOnly, 403],
      [nobody, 401],
    ] as const) {
      expect((await who.get('/api/secrets/alice')).status).toBe(status)
      expect((await who.get('/api/secrets/alice/API_KEY')).status).toBe(status)
      expect((await who.put('/api/secrets/alice/API_KEY', { value: 'stolen' })).status).toBe(status)
      expect((await who.delete('/api/secrets/alice/API_KEY')).status).toBe(status)
    }
    expect((await bob.get('/api/secrets/bob')).body).toMatchObject({ secrets: [] })
    // Bob may not use alice's secrets from his namespace either: they are not his.
    const borrowed = await bob.post('/api/jobs', {
      job_type: 'js',
      namespace: 'bob',
      code: '1',
      secrets: ['API_KEY'],
    })
    expect(borrowed.body).toMatchObject({ code: 'SECRET_NOT_FOUND' })
    expect((await admin.get('/api/secrets/alice')).body.secrets).toMatchObject([
      { name: 'API_KEY' },
    ])
  })

  it('sends nothing to anonymous tabs or volunteer-token holders; a runner-right token runs it', async () => {
    const volunteerToken = await issue(['alice'], ['volunteer'])
    const tab = await ScriptedVolunteer.connect(server.wsUrl, {}, { hello: BROWSER })
    const holder = await ScriptedVolunteer.connect(
      server.wsUrl,
      {},
      { hello: { agent: { kind: 'node' }, token: volunteerToken } },
    )
    try {
      const trusted = await alice.post('/api/jobs', {
        job_type: 'js',
        namespace: 'alice',
        code: '1',
        executor: 'trusted',
      })
      // The token holder is trusted, so it may take trusted work: it is live, and still no secrets.
      holder.complete((await holder.next('job')) as never, 1)
      expect((await alice.get(`/api/jobs/${trusted.body.id}?wait=10`)).body.status).toBe(
        'completed',
      )
      const secret = await alice.post('/api/jobs', {
        job_type: 'lua',
        namespace: 'alice',
        code: 'return #SECRETS.API_KEY',
        secrets: ['API_KEY'],
      })
      expect(secret.status).toBe(201)
      await Promise.all([tab.expectNo('job', 1500), holder.expectNo('job', 1500)])
      expect((await alice.get(`/api/jobs/${secret.body.id}`)).body.status).toBe('pending')
      const worker = startWorker(server.wsUrl, 1, ['--token', await issue(['alice'], ['runner'])])
      try {
        const done = await alice.get(`/api/jobs/${secret.body.id}?wait=30`)
        expect(done.body).toMatchObject({ status: 'completed', result: VALUE.length })
        await eventually(() => worker.volunteerIds().length > 0 || undefined)
        expect(done.body.volunteer_id).toBe(worker.volunteerIds()[0])
        // The admin sees who may have secrets.
        const listed = (await admin.get('/api/volunteers')).body.volunteers as {
          id: string
          secrets: boolean
        }[]
        expect(listed.find((v) => v.id === worker.volunteerIds()[0])?.secrets).toBe(true)
        expect(listed.find((v) => v.id === holder.volunteerId)?.secrets).toBe(false)
        expect(listed.find((v) => v.id === tab.volunteerId)?.secrets).toBe(false)
      } finally {
        await worker.kill()
      }
    } finally {
      tab.close()
      holder.close()
    }
  })
})
