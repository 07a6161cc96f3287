/**
 * Workflows in process: a js → python → lua chain, a fan-out and a fan-in, functions as steps,
 * retries, failures, cancel and retry of a run, and every bad definition the API refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient

beforeAll(async () => {
  server = await createTestApp({ volunteers: 2 })
  client = server.api
  await idleVolunteers(server, 2)
}, 60_000)

afterAll(async () => {
  await server.close()
})

async function define(doc: object) {
  const created = await client.post('/api/workflows', doc)
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  return created.body.id as string
}

async function runToEnd(id: string, input?: unknown) {
  const started = await client.post(
    `/api/workflows/${id}/runs`,
    input === undefined ? {} : { input },
  )
  expect(started.status, JSON.stringify(started.body)).toBe(202)
  const done = await client.get(`/api/workflow-runs/${started.body.id}?wait=60`)
  expect(done.status).toBe(200)
  return done.body
}

const stepOf = (run: { steps: { id: string }[] }, id: string) =>
  run.steps.find((s) => s.id === id) as Record<string, any>

describe('a chain of steps in three runtimes', () => {
  it('passes each result to the next step and completes', async () => {
    const id = await define({
      name: 'chain',
      steps: [
        { id: 'double', run: { runtime: 'js', code: '({ n: INPUT.n * 2 })' } },
        {
          id: 'square',
          run: { runtime: 'python', code: 'INPUT["n"] ** 2' },
          input: '${steps.double.result}',
        },
        {
          id: 'describe',
          run: { runtime: 'lua', code: 'return "n=" .. tostring(INPUT.value)' },
          input: { value: '${steps.square.result}' },
        },
      ],
    })
    const run = await runToEnd(id, { n: 3 })
    expect(run.status).toBe('completed')
    expect(stepOf(run, 'double')).toMatchObject({ status: 'completed', result: { n: 6 } })
    expect(stepOf(run, 'square')).toMatchObject({ status: 'completed', result: 36 })
    expect(stepOf(run, 'describe')).toMatchObject({ status: 'completed', result: 'n=36' })
    const [job] = stepOf(run, 'double').job_ids as string[]
    expect(job).toBe(`${run.id}.double.0.1`)
    expect((await client.get(`/api/jobs/${job}`)).body).toMatchObject({ status: 'completed' })
  })
})

describe('what a run reports', () => {
  it('counts runs and step durations in /metrics and logs a JSON line per run and step change', async () => {
    const id = await define({
      name: 'observed',
      steps: [{ id: 'only', run: { runtime: 'js', code: '1' } }],
    })
    const run = await runToEnd(id)
    const metrics = (await server.fetch('/metrics').then((r) => r.text())) as string
    expect(metrics).toMatch(/zerverless_workflow_runs_total\{state="started"\} [1-9]/)
    expect(metrics).toMatch(/zerverless_workflow_runs_total\{state="completed"\} [1-9]/)
    expect(metrics).toMatch(
      /zerverless_workflow_step_duration_seconds_count\{status="completed"\} [1-9]/,
    )
    const lines = server.logs().map((line) => JSON.parse(line) as { msg: string; run?: string })
    const mine = lines.filter((l) => l.run === run.id).map((l) => l.msg)
    expect(mine).toEqual([
      'workflow run started',
      'workflow step started',
      'workflow step completed',
      'workflow run completed',
    ])
  })
})

describe('fan-out and fan-in', () => {
  it('runs one job per element and hands the results on in element order', async () => {
    const id = await define({
      name: 'map-reduce',
      steps: [
        {
          id: 'split',
          run: { runtime: 'js', code: 'Array.from({ length: INPUT.n }, (_, i) => i + 1)' },
        },
        {
          id: 'square',
          run: { runtime: 'js', code: 'INPUT.item * INPUT.item' },
          foreach: '${steps.split.result}',
        },
        {
          id: 'sum',
          run: {
            runtime: 'lua',
            code: 'local s = 0 for _, v in ipairs(INPUT.value) do s = s + v end return s',
          },
          input: '${steps.square.result}',
        },
      ],
    })
    const run = await runToEnd(id, { n: 100 })
    expect(run.status).toBe('completed')
    const square = stepOf(run, 'square')
    expect(square.result).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) ** 2))
    expect(square.elements).toMatchObject({ total: 100, completed: 100 })
    expect(stepOf(run, 'sum').result).toBe(338_350)
    const batch = await client.get(`/api/jobs/batch/${square.batch_id}`)
    expect(batch.body).toMatchObject({ total: 100, completed: 100 })
  })

  it('keeps a result over 1 MiB in storage and still hands it on', async () => {
    const id = await define({
      name: 'wide',
      namespace: 'wide',
      steps: [
        // 3,000 strings of 500 characters: about 1.5 MB of JSON.
        {
          id: 'big',
          run: {
            runtime: 'js',
            code: 'Array.from({ length: 3000 }, (_, i) => String(i).padEnd(500, "x"))',
          },
        },
        {
          id: 'count',
          run: { runtime: 'js', code: 'INPUT.value.length + INPUT.value[2999].length' },
          input: '${steps.big.result}',
        },
      ],
    })
    const run = await runToEnd(id)
    expect(run.status).toBe('completed')
    const big = stepOf(run, 'big')
    expect(big.result).toBeNull()
    expect(big.stored).toMatchObject({
      url: expect.stringMatching(/^\/api\/storage\/wide\/workflows\/results\/[0-9a-f]{64}\.json$/),
    })
    expect(big.stored.size).toBeGreaterThan(1 << 20)
    expect(stepOf(run, 'count').result).toBe(3500)
    const file = await client.get(big.stored.url)
    expect(file.body.result).toHaveLength(3000)
  })

  it('completes a fan-out over an empty list at once', async () => {
    const id = await define({
      name: 'empty',
      steps: [{ id: 'each', run: { runtime: 'js', code: 'INPUT.item' }, foreach: [] }],
    })
    const run = await runToEnd(id)
    expect(run).toMatchObject({ status: 'completed', steps: [{ id: 'each', result: [] }] })
  })
})

describe('functions as steps', () => {
  it('calls a function of the namespace with a templated request and keeps its response', async () => {
    const deployed = await client.post('/api/deploy/wfns/greet', {
      runtime: 'js',
      code: 'function handle(req) { const who = JSON.parse(req.body).who; return {status: 201, headers: {"content-type": "application/json"}, body: JSON.stringify({hello: who, method: req.method, q: req.query.x})} }',
    })
    expect(deployed.status).toBe(201)
    const id = await define({
      name: 'call',
      namespace: 'wfns',
      steps: [
        { id: 'name', run: { runtime: 'js', code: 'INPUT.who.toUpperCase()' } },
        {
          id: 'greet',
          run: {
            function: '/wfns/greet',
            query: { x: '1' },
            body: { who: '${steps.name.result}' },
          },
        },
      ],
    })
    const run = await runToEnd(id, { who: 'ada' })
    expect(run.status).toBe('completed')
    expect(stepOf(run, 'greet')).toMatchObject({
      kind: 'function',
      result: { status: 201, body: { hello: 'ADA', method: 'POST', q: '1' } },
    })
  })
})

describe('failures and retries', () => {
  it('retries a failing step and completes when an attempt succeeds', async () => {
    const id = await define({
      name: 'flaky',
      namespace: 'flaky',
      steps: [
        {
          id: 'flaky',
          run: {
            runtime: 'js',
            code: 'const n = (db.get("tries") ?? 0) + 1; db.set("tries", n); if (n < 3) throw new Error("try " + n); n',
          },
          retries: { limit: 3, delay_seconds: 0.05, backoff: 'exponential' },
        },
      ],
    })
    const run = await runToEnd(id)
    expect(run.status).toBe('completed')
    const step = stepOf(run, 'flaky')
    expect(step).toMatchObject({ status: 'completed', attempts: 3, result: 3 })
    expect(step.job_ids).toEqual([1, 2, 3].map((a) => `${run.id}.flaky.0.${a}`))
  })

  it('fails the run when a step fails past its retries, and skips what needed it', async () => {
    const id = await define({
      name: 'broken',
      steps: [
        {
          id: 'boom',
          run: { runtime: 'js', code: 'throw new Error("no")' },
          retries: { limit: 1 },
        },
        { id: 'after', run: { runtime: 'js', code: '1' }, needs: ['boom'] },
      ],
    })
    const run = await runToEnd(id)
    expect(run.status).toBe('failed')
    expect(run.error).toMatch(/step 'boom' failed/)
    expect(stepOf(run, 'boom')).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { code: 'GUEST_ERROR' },
    })
    expect(stepOf(run, 'after').status).toBe('skipped')
  })

  it('goes on past a step that may fail, skipping only its dependents', async () => {
    const id = await define({
      name: 'tolerant',
      steps: [
        {
          id: 'boom',
          run: { runtime: 'js', code: 'throw new Error("no")' },
          on_failure: 'continue',
        },
        { id: 'after', run: { runtime: 'js', code: '1' }, needs: ['boom'] },
        { id: 'other', run: { runtime: 'js', code: '2' } },
      ],
    })
    const run = await runToEnd(id)
    expect(run.status).toBe('completed')
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual([
      'failed',
      'skipped',
      'completed',
    ])
  })

  it('fails a step whose reference names nothing at run time', async () => {
    const id = await define({
      name: 'missing',
      steps: [{ id: 'a', run: { runtime: 'js', code: 'INPUT' }, input: '${input.nothing.here}' }],
    })
    const run = await runToEnd(id, { n: 1 })
    expect(stepOf(run, 'a')).toMatchObject({ status: 'failed', error: { code: 'TEMPLATE_ERROR' } })
  })

  it('re-runs only the failed step when a failed run is retried', async () => {
    const id = await define({
      name: 'second-time',
      namespace: 'retrying',
      steps: [
        {
          id: 'first',
          run: {
            runtime: 'js',
            code: 'const n = (db.get("first") ?? 0) + 1; db.set("first", n); n',
          },
        },
        {
          id: 'second',
          needs: ['first'],
          run: {
            runtime: 'js',
            code: 'const n = (db.get("second") ?? 0) + 1; db.set("second", n); if (n === 1) throw new Error("once"); n',
          },
        },
      ],
    })
    const failed = await runToEnd(id)
    expect(failed.status).toBe('failed')
    const retried = await client.post(`/api/workflow-runs/${failed.id}/retry`)
    expect(retried.status).toBe(202)
    const done = (await client.get(`/api/workflow-runs/${failed.id}?wait=30`)).body
    expect(done.status).toBe('completed')
    expect(stepOf(done, 'first')).toMatchObject({ result: 1, attempts: 1 })
    expect(stepOf(done, 'second')).toMatchObject({ result: 2, attempts: 2 })
    expect((await client.post(`/api/workflow-runs/${failed.id}/retry`)).body.code).toBe(
      'RUN_NOT_FAILED',
    )
  })
})

describe('cancel', () => {
  it('stops a running run and cancels its running job', async () => {
    const id = await define({
      name: 'forever',
      steps: [
        { id: 'spin', run: { runtime: 'js', code: 'for (;;) {}' }, timeout_seconds: 60 },
        { id: 'never', run: { runtime: 'js', code: '1' }, needs: ['spin'] },
      ],
    })
    const started = (await client.post(`/api/workflows/${id}/runs`, {})).body
    const job = `${started.id}.spin.0.1`
    await eventuallyStatus(job, 'running')
    const cancelled = await client.delete(`/api/workflow-runs/${started.id}`)
    expect(cancelled.body).toMatchObject({ status: 'cancelled' })
    expect(stepOf(cancelled.body, 'spin').status).toBe('cancelled')
    expect(stepOf(cancelled.body, 'never').status).toBe('cancelled')
    expect((await client.get(`/api/jobs/${job}`)).body.status).toBe('cancelled')
    expect((await client.delete(`/api/workflow-runs/${started.id}`)).body.code).toBe('RUN_FINISHED')
  })
})

async function eventuallyStatus(job: string, status: string) {
  for (let i = 0; i < 200; i++) {
    if ((await client.get(`/api/jobs/${job}`)).body.status === status) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`job ${job} never became ${status}`)
}

describe('starting, versions and the seed names', () => {
  it('starts once for one caller id', async () => {
    const id = await define({
      name: 'once',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1' } }],
    })
    const first = await client.post(`/api/workflows/${id}/runs`, { id: 'nightly-1' })
    const second = await client.post(`/api/workflows/${id}/runs`, { id: 'nightly-1' })
    expect(first.status).toBe(202)
    expect(second.status).toBe(200)
    expect(second.body.id).toBe(first.body.id)
    expect((await client.get(`/api/workflows/${id}/runs`)).body.total).toBe(1)
  })

  it('keeps a run on the version it started with when the workflow changes', async () => {
    const doc = (result: number) => ({
      name: 'versioned',
      steps: [
        // Busy for a moment, so the run is still going when the workflow changes.
        {
          id: 'slow',
          run: { runtime: 'js', code: 'const t = Date.now(); while (Date.now() - t < 300) {} 0' },
        },
        { id: 'last', run: { runtime: 'js', code: String(result) }, needs: ['slow'] },
      ],
    })
    const id = await define(doc(1))
    const first = (await client.post(`/api/workflows/${id}/runs`, {})).body
    const updated = await client.put(`/api/workflows/${id}`, doc(2))
    expect(updated.body.version).toBe(2)
    const before = (await client.get(`/api/workflow-runs/${first.id}?wait=30`)).body
    expect(before).toMatchObject({ workflow_version: 1, status: 'completed' })
    expect(stepOf(before, 'last').result).toBe(1)
    const after = await runToEnd(id)
    expect(after).toMatchObject({ workflow_version: 2 })
    expect(stepOf(after, 'last').result).toBe(2)
  })

  it('answers the seed names for executing and reading status', async () => {
    const id = await define({
      name: 'seed',
      steps: [{ id: 'a', run: { runtime: 'lua', code: 'return 7' } }],
    })
    const executed = await client.post(`/api/workflows/${id}/execute`)
    expect(executed.status).toBe(202)
    const run = executed.body.execution_id as string
    await client.get(`/api/workflow-runs/${run}?wait=30`)
    const status = await client.get(`/api/workflow-executions/${run}/status`)
    expect(status.body).toMatchObject({
      execution: { id: run, status: 'completed' },
      jobs: [{ id: 'a', status: 'completed', result: 7 }],
      total: 1,
    })
  })

  it('lists, reads and deletes workflows; a deleted one is gone but its runs stay readable', async () => {
    const id = await define({
      name: 'short-lived',
      namespace: 'listing',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1' } }],
    })
    const run = await runToEnd(id)
    const listed = await client.get('/api/workflows?namespace=listing')
    expect(listed.body).toMatchObject({
      total: 1,
      workflows: [{ id, name: 'short-lived', version: 1 }],
    })
    expect((await client.get(`/api/workflows/${id}`)).body.steps[0]).toMatchObject({
      id: 'a',
      run: { runtime: 'js' },
    })
    expect((await client.delete(`/api/workflows/${id}`)).status).toBe(204)
    expect((await client.get(`/api/workflows/${id}`)).body.code).toBe('WORKFLOW_NOT_FOUND')
    expect((await client.get(`/api/workflow-runs/${run.id}`)).body.status).toBe('completed')
  })
})

describe('bad definitions', () => {
  const refused = async (doc: object) => {
    const res = await client.post('/api/workflows', doc)
    expect(res.status).toBe(400)
    return res.body as { code: string; error: string }
  }
  const js = { runtime: 'js', code: '1' }

  it('names a cycle', async () => {
    const body = await refused({
      name: 'loop',
      steps: [
        { id: 'a', run: js, needs: ['c'] },
        { id: 'b', run: js, needs: ['a'] },
        { id: 'c', run: js, input: '${steps.b.result}' },
      ],
    })
    expect(body).toMatchObject({ code: 'INVALID_WORKFLOW' })
    expect(body.error).toMatch(/a → c → b → a|form a cycle/)
  })

  it.each([
    ['an unknown need', { id: 'a', run: js, needs: ['ghost'] }, /needs names 'ghost'/],
    [
      'a template that names nothing',
      { id: 'a', run: js, input: '${steps.ghost.result}' },
      /ghost/,
    ],
    [
      'a template with an unknown root',
      { id: 'a', run: js, input: '${env.HOME}' },
      /starts with input, steps/,
    ],
    [
      'item outside a fan-out',
      { id: 'a', run: js, input: '${item}' },
      /only defined in a step with foreach/,
    ],
    [
      'an unknown function',
      { id: 'a', run: { function: '/default/nope' } },
      /no function is deployed/,
    ],
    [
      'a function of another namespace',
      { id: 'a', run: { function: '/bob/fn' } },
      /calls its own functions/,
    ],
    ['an unknown service', { id: 'a', run: { service: 'nope' } }, /has no service/],
    ['a run of no kind', { id: 'a', run: 'echo hi' }, /must be an object/],
    ['a wasm step without a module', { id: 'a', run: { runtime: 'wasm' } }, /wasm_cid/],
  ])('refuses %s', async (_, step, message) => {
    expect((await refused({ name: 'bad', steps: [step] })).error).toMatch(message)
  })

  it('refuses two steps with one id, no steps, and too many', async () => {
    expect(
      (
        await refused({
          name: 'x',
          steps: [
            { id: 'a', run: js },
            { id: 'a', run: js },
          ],
        })
      ).error,
    ).toMatch(/used by two steps/)
    expect((await refused({ name: 'x', steps: [] })).error).toMatch(/at least one step/)
    const many = Array.from({ length: 1001 }, (_, i) => ({ id: `s${i}`, run: js }))
    expect((await refused({ name: 'x', steps: many })).error).toMatch(/at most 1000 steps/)
  })

  it('fails a fan-out over more than 10,000 elements or over something not a list', async () => {
    const id = await define({
      name: 'too-wide',
      steps: [
        {
          id: 'list',
          run: {
            runtime: 'js',
            code: 'INPUT.n === 0 ? "not a list" : Array.from({length: INPUT.n}, (_, i) => i)',
          },
        },
        { id: 'each', run: js, foreach: '${steps.list.result}' },
      ],
    })
    expect(stepOf(await runToEnd(id, { n: 10_001 }), 'each').error.code).toBe('FANOUT_TOO_LARGE')
    expect(stepOf(await runToEnd(id, { n: 0 }), 'each').error.code).toBe('FOREACH_NOT_A_LIST')
  })
})
