/**
 * Who may execute what, with auth on, run against both hosts (Node and workerd): runners must
 * authenticate and get only the namespaces their token covers, anonymous volunteers reach only
 * the database keys a job's submitter allowed, and jobs and functions that require a trusted
 * executor never go to an anonymous one. The attackers are raw sockets (ScriptedVolunteer).
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from '../../shared/protocol/frames'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'
import { UploadClient, uploadFile } from '../helpers/upload-client'
import { eventually } from '../helpers/zerverless-process'

export const TRUST_ADMIN = 'zv-trust-admin-token-0123456789abcdef'

export interface TrustHost {
  url: string
  /** `/ws/volunteer` for volunteers. */
  wsUrl: string
  /** Where runners connect (the edge sends them to room 0 with `?role=runner`). */
  runnerWsUrl: string
  stop(): Promise<void>
}

const GIT_PASSWORD = 'hunter2-git-password'
const DB_SECRET = 's3cret-db-password'
const STDIN_SECRET = 'card 4111-1111-1111-1111'

const SYSTEM = {
  platform: 'linux',
  architecture: 'amd64',
  kernel_version: '6.1.0',
  cpu_model: 'fake',
  cpu_cores: 8,
  cpu_threads: 16,
  total_memory_mb: 65536,
  available_memory_mb: 60000,
  total_disk_mb: 1_000_000,
  available_disk_mb: 900_000,
  gpus: [],
  has_docker: false,
  has_python: false,
}

/** A JSON client that sends `token` as a Bearer header. */
function as(base: string, token?: string) {
  const call = async (method: string, route: string, body?: unknown, headers = {}) => {
    const res = await fetch(base + route, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: any = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // Plain text (a function's answer).
    }
    return { status: res.status, body: parsed, headers: res.headers }
  }
  return {
    get: (route: string, headers?: Record<string, string>) =>
      call('GET', route, undefined, headers),
    post: (route: string, body: unknown) => call('POST', route, body),
    put: (route: string, body: unknown) => call('PUT', route, body),
    delete: (route: string) => call('DELETE', route),
  }
}

function runnerHello(peerId: string, token?: string): Frame {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    agent: { kind: 'runner', name: 'fake-runner' },
    capabilities: { runtimes: ['native'], concurrency: 2 },
    peer: { id: peerId, native: true, system: SYSTEM },
    ...(token && { token }),
  }
}

/**
 * What the attacker's runner does with whatever it is sent: registers any executable with a
 * made-up hash and answers every run with a forged result.
 */
function playAlong(runner: ScriptedVolunteer): void {
  runner.onFrame((frame) => {
    if (frame.type === 'service_register')
      runner.send({
        type: 'service_registered',
        request_id: frame.request_id,
        ok: true,
        executable_path: `/srv/${frame.service_name}/run.sh`,
        sha256: 'ab'.repeat(32),
        size: 42,
      })
    if (frame.type === 'job')
      runner.send({
        type: 'result',
        job_id: frame.job_id,
        attempt: frame.attempt,
        result: { forged: true },
        output: 'all good\n',
      })
  })
}

/** Opens a socket and sends `hello`, without waiting for a welcome (it may be refused). */
async function open(url: string, hello: Frame): Promise<ScriptedVolunteer> {
  const socket = await ScriptedVolunteer.connect(url, false)
  socket.send(hello)
  return socket
}

function volunteerHello(token?: string, namespaces?: string[]): Frame {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    agent: { kind: 'browser', name: 'scripted' },
    capabilities: { runtimes: ['js', 'lua'], concurrency: 1, ...(namespaces && { namespaces }) },
    ...(token && { token }),
  }
}

async function volunteer(url: string, token?: string, namespaces?: string[]) {
  const v = await open(url, volunteerHello(token, namespaces))
  await v.next('welcome')
  return v
}

let nextRequest = 1
/** A guest's `db` call sent from a job the volunteer holds; resolves with the orchestrator's reply. */
async function hostCall(v: ScriptedVolunteer, job: Frame, call: Record<string, unknown>) {
  const request_id = nextRequest++
  v.send({ type: 'host', job_id: job.job_id, attempt: job.attempt, request_id, call })
  const reply = await v.next('host_reply')
  expect(reply.request_id).toBe(request_id)
  return reply.reply as { ok: boolean; value?: any; error?: string }
}

export function describeExecutorTrust(name: string, start: () => Promise<TrustHost>): void {
  describe(`executor trust on ${name} (auth on)`, () => {
    let host: TrustHost
    let admin: ReturnType<typeof as>
    let alice: ReturnType<typeof as>
    let bob: ReturnType<typeof as>
    let bobToken: string
    const sockets: ScriptedVolunteer[] = []
    const keep = (v: ScriptedVolunteer) => (sockets.push(v), v)

    const issue = async (namespaces: string[], rights: string[]) => {
      const res = await admin.post('/api/tokens', { namespaces, rights })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body.token as string
    }

    beforeAll(async () => {
      host = await start()
      admin = as(host.url, TRUST_ADMIN)
      alice = as(host.url, await issue(['alice'], ['jobs', 'db', 'services', 'deploy']))
      bobToken = await issue(['bob'], ['jobs', 'db', 'services', 'deploy'])
      bob = as(host.url, bobToken)
    })

    afterAll(async () => {
      for (const v of sockets) v.terminate()
      await host?.stop()
    })

    describe('runners', () => {
      it('refuses an anonymous runner: no git password, environment, stdin or job token reaches it', async () => {
        const fake = keep(await open(host.runnerWsUrl, runnerHello('fake-anon-runner')))
        playAlong(fake)
        // Its hello has been answered (welcomed or refused) before alice comes along.
        await eventually(() => fake.frames.length > 0 || undefined)
        // The attack: alice registers a repository with credentials and secrets, then runs it.
        const created = await alice.post('/api/services/standalone/from-git', {
          service_name: 'alice-app',
          namespace: 'alice',
          repo_url: 'https://git.example.org/alice/app.git',
          executable_path: 'run.sh',
          username: 'alice',
          password: GIT_PASSWORD,
          environment_variables: { DB_PASSWORD: DB_SECRET },
        })
        const run =
          created.status === 201
            ? await alice.post(`/api/services/standalone/${created.body.service.id}/run`, {
                stdin: STDIN_SECRET,
              })
            : undefined
        const finished =
          run?.status === 202 ? await alice.get(`/api/jobs/${run.body.job.id}?wait=10`) : undefined
        const seen = JSON.stringify(fake.frames)
        expect(seen).not.toContain(GIT_PASSWORD)
        expect(seen).not.toContain(DB_SECRET)
        expect(seen).not.toContain(STDIN_SECRET)
        expect(fake.frames.filter((f) => f.type === 'job')).toEqual([])
        expect(finished?.body.status).not.toBe('completed')
        expect(fake.frames.map((f) => f.type)).toEqual(['error'])
        expect(fake.frames[0]).toMatchObject({ code: 'UNAUTHORIZED' })
        expect((await fake.waitClosed()).code).toBe(1008)
        expect(created).toMatchObject({ status: 503, body: { code: 'NO_RUNNERS' } })
        expect((await admin.get('/api/peers')).body.total).toBe(0)
      })

      it('refuses a runner whose token is not a runner credential', async () => {
        const jobsOnly = await issue(['alice'], ['jobs'])
        const fake = keep(await open(host.runnerWsUrl, runnerHello('fake-jobs-token', jobsOnly)))
        const error = await fake.next('error')
        expect(error.code).toBe('UNAUTHORIZED')
        expect(error.message).toMatch(/runner/)
        expect((await fake.waitClosed()).code).toBe(1008)
        const forged = keep(
          await open(host.runnerWsUrl, runnerHello('fake-forged', 'eyJhbGciOiJub25lIn0.e30.')),
        )
        expect((await forged.next('error')).code).toBe('UNAUTHORIZED')
        expect((await forged.waitClosed()).code).toBe(1008)
      })

      it("gives a runner bound to bob nothing of alice's, and bob's own work with its secrets", async () => {
        const token = await issue(['bob'], ['runner'])
        const runner = keep(await open(host.runnerWsUrl, runnerHello('bobs-runner', token)))
        playAlong(runner)
        await runner.next('welcome')
        const forAlice = await alice.post('/api/services/standalone/from-git', {
          service_name: 'alice-second',
          namespace: 'alice',
          repo_url: 'https://git.example.org/alice/app.git',
          executable_path: 'run.sh',
          username: 'alice',
          password: GIT_PASSWORD,
          environment_variables: { DB_PASSWORD: DB_SECRET },
        })
        expect(forAlice).toMatchObject({ status: 503, body: { code: 'NO_RUNNERS' } })
        const named = await alice.post('/api/services/standalone/from-local', {
          service_name: 'alice-local',
          namespace: 'alice',
          executable_path: '/bin/true',
          peer_id: 'bobs-runner',
        })
        expect(named).toMatchObject({ status: 403, body: { code: 'RUNNER_NOT_ALLOWED' } })
        expect(JSON.stringify(runner.frames)).not.toContain(GIT_PASSWORD)
        // Bob's own service reaches it, credentials, environment and stdin included.
        const created = await bob.post('/api/services/standalone/from-git', {
          service_name: 'bob-app',
          namespace: 'bob',
          repo_url: 'https://git.example.org/bob/app.git',
          executable_path: 'run.sh',
          username: 'bob',
          password: 'bobs-git-password',
          environment_variables: { DB_PASSWORD: 'bobs-db' },
        })
        expect(created.status, JSON.stringify(created.body)).toBe(201)
        const run = await bob.post(`/api/services/standalone/${created.body.service.id}/run`, {
          stdin: 'bobs input',
        })
        expect(run.status).toBe(202)
        const done = await bob.get(`/api/jobs/${run.body.job.id}?wait=10`)
        expect(done.body).toMatchObject({ status: 'completed', result: { forged: true } })
        const job = runner.frames.find((f) => f.type === 'job') as Frame
        expect(job.namespace).toBe('bob')
        expect(job.native).toMatchObject({
          stdin: 'bobs input',
          environment_variables: { DB_PASSWORD: 'bobs-db' },
        })
        const register = runner.frames.find((f) => f.type === 'service_register') as Frame
        expect(register.git).toMatchObject({ password: 'bobs-git-password' })
        const peers = (await admin.get('/api/peers')).body
        expect(peers.total).toBe(1)
        runner.close()
        await runner.waitClosed()
      })
    })

    describe('uploaded services', () => {
      it("keeps an uploader to its token's namespaces: bob cannot add to or replace alice's", async () => {
        const upload = async (token: string, group: string, service: Record<string, unknown>) => {
          const client = await UploadClient.open(host.url, token)
          await uploadFile(client, {
            group,
            serviceName: group,
            filePath: 'run.sh',
            bytes: Buffer.from(`#!/bin/sh\necho ${group}\n`),
            chunkSize: 1024,
            executable: true,
            service,
          })
          const done = await client.next()
          await client.close()
          return done
        }
        const aliceToken = await issue(['alice'], ['services'])
        const mine = await upload(aliceToken, 'alice-tool', { namespace: 'alice' })
        expect(mine).toMatchObject({ type: 'FILE_UPLOAD_COMPLETE' })
        const id = (mine.payload as { service_id: number }).service_id
        // Bob's token covers bob: writing a service into alice's namespace is refused ...
        const planted = await upload(bobToken, 'planted', { namespace: 'alice' })
        expect(planted).toMatchObject({
          type: 'FILE_UPLOAD_ERROR',
          payload: { code: 'SERVICE_FAILED' },
        })
        // ... and so is replacing alice's executable, which her runs would then execute.
        const replace = await UploadClient.open(host.url, bobToken)
        const { sessionId } = await replace
          .request(
            {
              type: 'FILE_UPLOAD_START',
              payload: {
                upload_group_id: 'takeover-2',
                service_id: id,
                filename: 'run.sh',
                file_path: 'run.sh',
                file_index: 0,
                total_files: 1,
                total_size: 1,
                total_chunks: 1,
                chunk_size: 1024,
              },
            },
            'FILE_UPLOAD_PROGRESS',
          )
          .then((p) => ({ sessionId: p.session_id }))
        await replace.request(
          {
            type: 'FILE_UPLOAD_CHUNK',
            payload: { session_id: sessionId, chunk_index: 0, data: 'eA==' },
          },
          'FILE_UPLOAD_PROGRESS',
        )
        replace.send({ type: 'FILE_UPLOAD_END', payload: { session_id: sessionId } })
        expect((await replace.next()).type).toBe('FILE_UPLOAD_FILE_COMPLETE')
        expect(await replace.next()).toMatchObject({
          type: 'FILE_UPLOAD_ERROR',
          payload: { code: 'SERVICE_FAILED' },
        })
        await replace.close()
        const details = await alice.get(`/api/services/standalone/${id}/details`)
        expect(details.body.service).toMatchObject({ namespace: 'alice' })
        expect(JSON.stringify(details.body)).toContain(
          createHash('sha256').update('#!/bin/sh\necho alice-tool\n').digest('hex'),
        )
        expect((await admin.get('/api/services/standalone?namespace=alice')).body.total).toBe(1)
      })
    })

    describe('database access from anonymous volunteers', () => {
      it("refuses an anonymous volunteer's db calls for a job that did not allow them", async () => {
        expect((await alice.put('/api/db/alice/secretkey', { value: DB_SECRET })).status).toBe(200)
        const anon = keep(await volunteer(host.wsUrl))
        const submitted = await alice.post('/api/jobs', {
          job_type: 'js',
          code: 'db.get("secretkey")',
          namespace: 'alice',
        })
        expect(submitted.status).toBe(201)
        const job = await anon.next('job')
        const list = await hostCall(anon, job, { op: 'db.list' })
        const get = await hostCall(anon, job, { op: 'db.get', key: 'secretkey' })
        const set = await hostCall(anon, job, { op: 'db.set', key: 'planted', value: 'evil' })
        const del = await hostCall(anon, job, { op: 'db.delete', key: 'secretkey' })
        expect(JSON.stringify([list, get, set, del])).not.toContain(DB_SECRET)
        for (const reply of [list, get, set, del]) {
          expect(reply.ok).toBe(false)
          expect(reply.error).toMatch(/untrusted_db/)
        }
        anon.complete(job, null)
        expect((await alice.get('/api/db/alice/planted')).status).toBe(404)
        expect((await alice.get('/api/db/alice/secretkey')).body.value).toBe(DB_SECRET)
        expect(submitted.body).toMatchObject({
          executor: 'any',
          untrusted_db: { read: [], write: [] },
        })
        anon.close()
        await anon.waitClosed()
      })

      it('lets an anonymous volunteer reach only the keys the submitter allowed', async () => {
        await alice.put('/api/db/alice/public-motd', { value: 'public' })
        const anon = keep(await volunteer(host.wsUrl))
        const submitted = await alice.post('/api/jobs', {
          job_type: 'js',
          code: '1',
          namespace: 'alice',
          untrusted_db: { read: ['public'], write: ['results-'] },
        })
        expect(submitted.body.untrusted_db).toEqual({ read: ['public'], write: ['results-'] })
        const job = await anon.next('job')
        expect(await hostCall(anon, job, { op: 'db.get', key: 'public-motd' })).toEqual({
          ok: true,
          value: 'public',
        })
        expect(await hostCall(anon, job, { op: 'db.list', prefix: 'public' })).toMatchObject({
          ok: true,
        })
        expect((await hostCall(anon, job, { op: 'db.get', key: 'secretkey' })).ok).toBe(false)
        expect((await hostCall(anon, job, { op: 'db.list' })).ok).toBe(false)
        expect((await hostCall(anon, job, { op: 'db.set', key: 'public-motd', value: 1 })).ok).toBe(
          false,
        )
        expect(await hostCall(anon, job, { op: 'db.set', key: 'results-1', value: 7 })).toEqual({
          ok: true,
          value: true,
        })
        // Writing is not reading: the job's own result key stays unreadable to it.
        expect((await hostCall(anon, job, { op: 'db.get', key: 'results-1' })).ok).toBe(false)
        anon.complete(job, null)
        expect((await alice.get('/api/db/alice/results-1')).body.value).toBe(7)
        expect((await alice.get('/api/db/alice/public-motd')).body.value).toBe('public')
        anon.close()
        await anon.waitClosed()
      })

      it('gives a trusted volunteer the whole namespace database, as before', async () => {
        const token = await issue(['alice'], ['volunteer'])
        const trusted = keep(await volunteer(host.wsUrl, token))
        await alice.post('/api/jobs', { job_type: 'js', code: '1', namespace: 'alice' })
        const job = await trusted.next('job')
        expect(await hostCall(trusted, job, { op: 'db.get', key: 'secretkey' })).toEqual({
          ok: true,
          value: DB_SECRET,
        })
        trusted.complete(job, null)
        trusted.close()
        await trusted.waitClosed()
      })
    })

    describe('jobs that require a trusted executor', () => {
      it('never gives one to an anonymous volunteer and runs it on a trusted one', async () => {
        const anon = keep(await volunteer(host.wsUrl))
        const needsTrust = await alice.post('/api/jobs', {
          job_type: 'js',
          code: '"trusted"',
          namespace: 'alice',
          executor: 'trusted',
        })
        expect(needsTrust.status, JSON.stringify(needsTrust.body)).toBe(201)
        expect(needsTrust.body).toMatchObject({ executor: 'trusted', status: 'pending' })
        // A younger ordinary job goes to the anonymous volunteer: it was free, and skipped the older one.
        const ordinary = await alice.post('/api/jobs', {
          job_type: 'js',
          code: '"any"',
          namespace: 'alice',
        })
        const given = await anon.next('job')
        expect(given.job_id).toBe(ordinary.body.id)
        anon.complete(given, 'any')
        await anon.expectNo('job', 300)
        const token = await issue(['alice'], ['volunteer'])
        const trusted = keep(await volunteer(host.wsUrl, token))
        const job = await trusted.next('job')
        expect(job.job_id).toBe(needsTrust.body.id)
        trusted.complete(job, 'trusted')
        const done = await alice.get(`/api/jobs/${needsTrust.body.id}?wait=10`)
        expect(done.body).toMatchObject({ status: 'completed', result: 'trusted' })
        expect(anon.frames.filter((f) => f.type === 'job').map((f) => f.job_id)).toEqual([
          ordinary.body.id,
        ])
        for (const v of [anon, trusted]) v.close()
      })

      it("narrows a bound volunteer to its token's namespaces", async () => {
        const token = await issue(['alice'], ['volunteer'])
        const forBob = await bob.post('/api/jobs', { job_type: 'js', code: '1', namespace: 'bob' })
        const bound = keep(await volunteer(host.wsUrl, token))
        const forAlice = await alice.post('/api/jobs', {
          job_type: 'js',
          code: '2',
          namespace: 'alice',
        })
        const job = await bound.next('job')
        expect(job.job_id).toBe(forAlice.body.id)
        bound.complete(job, 2)
        const listed = (await admin.get('/api/volunteers')).body.volunteers as any[]
        expect(listed.find((v) => v.id === bound.frames[0]?.volunteer_id)).toMatchObject({
          identity: 'token',
          trusted: true,
          namespaces: ['alice'],
        })
        // Asking only for namespaces the token does not cover is refused at hello.
        const elsewhere = keep(await open(host.wsUrl, volunteerHello(token, ['bob'])))
        expect((await elsewhere.next('error')).code).toBe('UNAUTHORIZED')
        expect((await elsewhere.waitClosed()).code).toBe(1008)
        bound.close()
        await bound.waitClosed()
        expect((await bob.get(`/api/jobs/${forBob.body.id}`)).body.status).toBe('pending')
        expect((await bob.delete(`/api/jobs/${forBob.body.id}`)).status).toBe(200)
      })

      it('refuses unknown executor and untrusted_db values, naming the field', async () => {
        const bad = await alice.post('/api/jobs', {
          job_type: 'js',
          code: '1',
          namespace: 'alice',
          executor: 'sometimes',
        })
        expect(bad).toMatchObject({ status: 400, body: { field: 'executor' } })
        const db = await alice.post('/api/jobs', {
          job_type: 'js',
          code: '1',
          namespace: 'alice',
          untrusted_db: 'everything',
        })
        expect(db).toMatchObject({ status: 400, body: { field: 'untrusted_db' } })
        const deploy = await alice.post('/api/deploy/alice/bad', {
          runtime: 'js',
          code: 'function handle() { return {body: "x"} }',
          executor: 'nobody',
        })
        expect(deploy).toMatchObject({ status: 400, body: { field: 'executor' } })
      })
    })

    describe('functions', () => {
      it('are not answered by anonymous volunteers unless deployed with executor "any"', async () => {
        const anon = keep(await volunteer(host.wsUrl, undefined, ['alice']))
        const deployed = await alice.post('/api/deploy/alice/private', {
          runtime: 'js',
          code: 'function handle() { return {body: "private"} }',
          timeout_seconds: 1,
        })
        expect(deployed.status).toBe(201)
        expect(deployed.body).toMatchObject({ executor: 'trusted' })
        const refused = await alice.get('/alice/private')
        expect(refused.status).toBeGreaterThanOrEqual(500)
        const open = await alice.post('/api/deploy/alice/open', {
          runtime: 'js',
          code: 'function handle() { return {body: "open"} }',
          executor: 'any',
        })
        expect(open.body).toMatchObject({ executor: 'any', untrusted_db: { read: [], write: [] } })
        const answered = alice.get('/alice/open?x=1', { cookie: 'session=alice-cookie' })
        const call = await anon.next('job')
        expect(call).toMatchObject({ mode: 'function', namespace: 'alice' })
        // The caller's credentials are not the stranger's business.
        expect(Object.keys(call.input_data.headers)).not.toContain('authorization')
        expect(Object.keys(call.input_data.headers)).not.toContain('cookie')
        anon.complete(call, { status: 200, body: 'from a stranger' })
        const response = await answered
        expect(response).toMatchObject({ status: 200, body: 'from a stranger' })
        expect(anon.frames.filter((f) => f.type === 'job')).toHaveLength(1)
        anon.close()
        await anon.waitClosed()
        await eventually(
          async () => (await admin.get('/api/volunteers')).body.total === 0 || undefined,
        )
      })
    })
  })
}
