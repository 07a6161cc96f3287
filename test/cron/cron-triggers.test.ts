/**
 * Cron triggers in one process with auth on: each target kind (a function of the namespace, a
 * job, a workflow run) fires on its schedule and shows in GET with its status and ids; a tick runs
 * once however often the clock looks; bad triggers are a 400 naming the field; DELETE stops a
 * trigger; another namespace's token is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp
let admin: ApiClient
let alice: ApiClient
let bob: ApiClient

const as = (token: string) =>
  api((path, init) =>
    server.fetch(path, {
      ...init,
      headers: { ...init?.headers, authorization: `Bearer ${token}` },
    }),
  )

beforeAll(async () => {
  server = await createTestApp({ auth: {}, volunteers: 1 })
  await idleVolunteers(server, 1)
  admin = as(server.adminToken as string)
  const token = async (namespace: string) =>
    (
      await admin.post('/api/tokens', {
        namespaces: [namespace],
        rights: ['jobs', 'deploy', 'db'],
      })
    ).body.token as string
  alice = as(await token('alice'))
  bob = as(await token('bob'))
}, 60_000)

afterAll(async () => {
  await server.close()
})

interface RunView {
  id: string
  tick: string
  status: string
  target: string
  job_id?: string
  workflow_run_id?: string
  function_status?: number | null
  error?: { code: string; message: string }
}

/** The trigger's runs once `enough` of them are there, newest first. */
const runsOf = (name: string, enough: (runs: RunView[]) => boolean, ms = 20_000) =>
  eventually(
    async () => {
      const runs = (await alice.get(`/api/cron/alice/${name}`)).body.runs as RunView[]
      return enough(runs) ? runs : undefined
    },
    ms,
    `runs of ${name}`,
  )

/** A run's id is `cron:{name}:{tick in epoch ms}`, and its tick is on the schedule. */
function checkIds(name: string, runs: RunView[], everyMs: number): number[] {
  const ticks = runs.map((run) => Date.parse(run.tick))
  for (const [i, run] of runs.entries()) {
    expect(run.id).toBe(`cron:${name}:${ticks[i]}`)
    expect((ticks[i] as number) % everyMs).toBe(0)
  }
  expect(new Set(ticks).size).toBe(ticks.length)
  return ticks
}

describe('cron targets', () => {
  it("calls a function of the trigger's namespace each tick, telling it the tick", async () => {
    const deployed = await alice.post('/api/deploy/alice/ping', {
      runtime: 'js',
      code: 'function handle(req) { db.set("seen-" + req.headers["x-zerverless-cron"], req.body); return {status: 201, body: "ok"} }',
    })
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201)
    const put = await alice.put('/api/cron/alice/ping', {
      schedule: '*/2 * * * * *',
      target: { function: '/alice/ping', body: { hello: 'cron' } },
    })
    expect(put.status, JSON.stringify(put.body)).toBe(201)
    expect(put.body).toMatchObject({
      name: 'ping',
      namespace: 'alice',
      schedule: '*/2 * * * * *',
      timezone: 'UTC',
      missed: 'once',
      target: { function: '/alice/ping', body: { hello: 'cron' } },
      runs: [],
    })
    expect(Date.parse(put.body.next_run) % 2000).toBe(0)
    const runs = await runsOf('ping', (r) => r.some((run) => run.status === 'completed'))
    const done = runs.find((run) => run.status === 'completed') as RunView
    checkIds('ping', runs, 2000)
    expect(done).toMatchObject({ target: 'function', function_status: 201 })
    const seen = await alice.get(`/api/db/alice/seen-${done.id}`)
    expect(seen.body.value).toBe('{"hello":"cron"}')
    await alice.delete('/api/cron/alice/ping')
  })

  it('submits a job in its namespace per tick, under an id derived from the tick', async () => {
    const put = await alice.put('/api/cron/alice/answer', {
      schedule: '* * * * * *',
      target: { job: { job_type: 'lua', code: 'return 6 * 7' } },
    })
    expect(put.status, JSON.stringify(put.body)).toBe(201)
    const runs = await runsOf(
      'answer',
      (r) => r.filter((run) => run.status === 'completed').length >= 2,
    )
    await alice.delete('/api/cron/alice/answer')
    const ticks = checkIds('answer', runs, 1000)
    for (const [i, run] of runs.entries()) {
      expect(run.target).toBe('job')
      expect(run.job_id).toBe(`cron:alice:answer:${ticks[i]}`)
    }
    const done = runs.find((run) => run.status === 'completed') as RunView
    const job = (await alice.get(`/api/jobs/${done.job_id}`)).body
    expect(job).toMatchObject({ namespace: 'alice', status: 'completed', result: 42 })
  })

  it('starts a run of a workflow of the namespace, by id or by name, keyed by the tick', async () => {
    const workflow = await alice.post('/api/workflows', {
      name: 'double',
      namespace: 'alice',
      steps: [{ id: 'twice', run: { runtime: 'js', code: 'INPUT.n * 2' } }],
    })
    expect(workflow.status).toBe(201)
    for (const [name, ref] of [
      ['by-id', workflow.body.id],
      ['by-name', 'double'],
    ] as const) {
      const put = await alice.put(`/api/cron/alice/${name}`, {
        schedule: '*/2 * * * * *',
        target: { workflow: ref, input: { n: 21 } },
      })
      expect(put.status, JSON.stringify(put.body)).toBe(201)
    }
    for (const name of ['by-id', 'by-name']) {
      const runs = await runsOf(name, (r) => r.some((run) => run.status === 'completed'))
      await alice.delete(`/api/cron/alice/${name}`)
      checkIds(name, runs, 2000)
      const done = runs.find((run) => run.status === 'completed') as RunView
      expect(done.target).toBe('workflow')
      const run = (await alice.get(`/api/workflow-runs/${done.workflow_run_id}`)).body
      expect(run).toMatchObject({ workflow_id: workflow.body.id, status: 'completed' })
      expect(run.steps[0].result).toBe(42)
    }
  })
})

describe('firing', () => {
  it('runs a tick once however often the clock looks, collapsing ticks that came due together', async () => {
    const put = await alice.put('/api/cron/alice/once', {
      schedule: '0 * * * * *',
      target: { job: { job_type: 'lua', code: 'return 1' } },
    })
    expect(put.status).toBe(201)
    const { crons } = server.orchestrator
    // An hour later: sixty ticks came due at one look; only the latest runs, and only once.
    const later = Date.now() + 3_600_000
    crons.tick(later)
    crons.tick(later)
    crons.tick(later + 10)
    const { runs } = (await alice.get('/api/cron/alice/once')).body as { runs: RunView[] }
    expect(runs).toHaveLength(1)
    const tick = Date.parse((runs[0] as RunView).tick)
    expect(tick).toBe(Math.floor(later / 60_000) * 60_000)
    await eventually(
      async () => (await alice.get('/api/cron/alice/once')).body.runs[0].job_id,
      5_000,
      'the job to be submitted',
    )
    expect((await alice.get(`/api/jobs/cron:alice:once:${tick}`)).status).toBe(200)
    await alice.delete('/api/cron/alice/once')
  })

  it('fires nothing more once deleted, even when its ticks come due', async () => {
    await alice.put('/api/cron/alice/gone', {
      schedule: '* * * * *',
      target: { job: { job_type: 'lua', code: 'return 1' } },
    })
    expect(
      (await alice.get('/api/cron/alice')).body.crons.map((c: { name: string }) => c.name),
    ).toEqual(['gone'])
    const deleted = await alice.delete('/api/cron/alice/gone')
    expect(deleted.status).toBe(204)
    expect((await alice.get('/api/cron/alice/gone')).status).toBe(404)
    expect((await alice.delete('/api/cron/alice/gone')).status).toBe(404)
    server.orchestrator.crons.tick(Date.now() + 7_200_000)
    const jobs = (await alice.get('/api/jobs?namespace=alice&limit=1000')).body.jobs as {
      id: string
    }[]
    expect(jobs.filter((job) => job.id.startsWith('cron:alice:gone:'))).toEqual([])
    expect((await alice.get('/api/cron/alice')).body).toEqual({ crons: [], total: 0 })
  })

  it('replaces a trigger with 200, keeping its place when the schedule is the same', async () => {
    const body = { schedule: '*/5 * * * *', target: { job: { job_type: 'lua', code: 'return 1' } } }
    expect((await alice.put('/api/cron/alice/again', body)).status).toBe(201)
    const replaced = await alice.put('/api/cron/alice/again', { ...body, missed: 'skip' })
    expect(replaced.status).toBe(200)
    expect(replaced.body.missed).toBe('skip')
    expect(server.orchestrator.crons.names('alice')).toEqual(['again'])
    expect(server.orchestrator.crons.remove('alice', 'again')).toBe(true)
    expect(server.orchestrator.crons.remove('alice', 'again')).toBe(false)
  })
})

describe('overlap', () => {
  it("fires a tick while the previous tick's run is still going", async () => {
    const put = await alice.put('/api/cron/alice/slow', {
      schedule: '* * * * * *',
      target: { job: { job_type: 'lua', code: 'while true do end', timeout_seconds: 30 } },
    })
    expect(put.status).toBe(201)
    const runs = await runsOf('slow', (r) => r.length >= 2 && r.at(-1)?.status === 'running')
    await alice.delete('/api/cron/alice/slow')
    // The newer ones were claimed and submitted all the same: none waited for the first to end.
    for (const run of runs) expect(['pending', 'running']).toContain(run.status)
    for (const run of runs) await alice.delete(`/api/jobs/${run.job_id}`)
    await idleVolunteers(server, 1)
  })
})

describe('bad triggers', () => {
  const put = (body: unknown, name = 'bad') => alice.put(`/api/cron/alice/${name}`, body)
  const job = { job: { job_type: 'lua', code: 'return 1' } }

  it.each([
    ['a bad expression', { schedule: '61 * * * *', target: job }, 'schedule', 'minute'],
    ['too few fields', { schedule: '* *', target: job }, 'schedule', ''],
    [
      'an unknown zone',
      { schedule: '* * * * *', timezone: 'Mars/Base', target: job },
      'timezone',
      'Mars/Base',
    ],
    ['an unknown field', { schedule: '* * * * *', target: job, every: 5 }, 'every', "'every'"],
    [
      'an unknown target field',
      { schedule: '* * * * *', target: { ...job, extra: 1 } },
      'extra',
      "'extra'",
    ],
    ['no target', { schedule: '* * * * *' }, 'target', 'target'],
    ['a bad missed rule', { schedule: '* * * * *', missed: 'all', target: job }, 'missed', 'once'],
    [
      "another namespace's function",
      { schedule: '* * * * *', target: { function: '/bob/x' } },
      'target',
      "'bob'",
    ],
    [
      'a job in another namespace',
      { schedule: '* * * * *', target: { job: { ...job.job, namespace: 'bob' } } },
      'target',
      "'bob'",
    ],
    [
      'an inline module',
      { schedule: '* * * * *', target: { job: { job_type: 'wasm', wasm_base64: 'AGFzbQEAAAA=' } } },
      'target',
      'wasm_cid',
    ],
    [
      'an unknown workflow',
      { schedule: '* * * * *', target: { workflow: 'nope' } },
      'target',
      "'nope'",
    ],
  ])('refuses %s with 400 naming the field', async (_what, body, field, reason) => {
    const res = await put(body)
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.code).toBe('INVALID_REQUEST')
    expect(res.body.field).toBe(field)
    expect(res.body.error).toContain(reason)
  })

  it("refuses another namespace's workflow", async () => {
    const theirs = await bob.post('/api/workflows', {
      name: 'theirs',
      namespace: 'bob',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1' } }],
    })
    const res = await put({ schedule: '* * * * *', target: { workflow: theirs.body.id } })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('target')
  })

  it('refuses bad names, bad JSON and an empty body', async () => {
    expect((await put({ schedule: '* * * * *', target: job }, 'a'.repeat(33))).body.field).toBe(
      'name',
    )
    expect((await put({ schedule: '* * * * *', target: job }, 'a%3Ab')).status).toBe(400)
    expect((await put('{"schedule":')).status).toBe(400)
    expect((await put('')).status).toBe(400)
    expect((await alice.get('/api/cron/alice/x/y')).status).toBe(400)
    expect((await alice.get('/api/cron/alice')).body.total).toBe(0)
  })
})

describe('rights', () => {
  it("refuses bob's token on alice's triggers, and a caller without one", async () => {
    const body = { schedule: '0 0 * * *', target: { job: { job_type: 'lua', code: 'return 1' } } }
    expect((await alice.put('/api/cron/alice/mine', body)).status).toBe(201)
    for (const attempt of [
      () => bob.get('/api/cron/alice'),
      () => bob.get('/api/cron/alice/mine'),
      () => bob.put('/api/cron/alice/mine', body),
      () => bob.put('/api/cron/alice/new', body),
      () => bob.delete('/api/cron/alice/mine'),
    ]) {
      const res = await attempt()
      expect(res.status, JSON.stringify(res.body)).toBe(403)
      expect(res.body.code).toBe('FORBIDDEN')
    }
    expect((await server.api.get('/api/cron/alice')).status).toBe(401)
    expect((await server.api.put('/api/cron/alice/mine', body)).status).toBe(401)
    expect((await admin.get('/api/cron/alice')).body.total).toBe(1)
    expect((await alice.delete('/api/cron/alice/mine')).status).toBe(204)
  })
})
