/**
 * Workflows in process: a js → python → lua chain, a fan-out and a fan-in, functions as steps,
 * retries, failures, cancel and retry of a run, and every bad definition the API refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workflowKit, type WorkflowKit } from '../contract/workflow-contract-kit'
import type { ApiClient } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient
let kit: WorkflowKit

beforeAll(async () => {
  server = await createTestApp({ volunteers: 2 })
  client = server.api
  kit = workflowKit(server.fetch)
  await idleVolunteers(server, 2)
}, 60_000)

afterAll(async () => {
  await server.close()
})

describe('a chain of steps in three runtimes', () => {
  it('passes each result to the next step and completes', async () => {
    const id = await kit.define({
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
    const run = await kit.runToEnd(id, { n: 3 })
    expect(run.status).toBe('completed')
    expect(kit.step(run, 'double')).toMatchObject({ status: 'completed', result: { n: 6 } })
    expect(kit.step(run, 'square')).toMatchObject({ status: 'completed', result: 36 })
    expect(kit.step(run, 'describe')).toMatchObject({ status: 'completed', result: 'n=36' })
    const [job] = kit.step(run, 'double').job_ids as string[]
    expect(job).toBe(`${run.id}.double.0.1`)
    expect((await client.get(`/api/jobs/${job}`)).body).toMatchObject({ status: 'completed' })
  })
})

describe('what a run reports', () => {
  it('counts runs and step durations in /metrics and logs a JSON line per run and step change', async () => {
    const id = await kit.define({
      name: 'observed',
      steps: [{ id: 'only', run: { runtime: 'js', code: '1' } }],
    })
    const run = await kit.runToEnd(id)
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
    const id = await kit.define({
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
    const run = await kit.runToEnd(id, { n: 100 })
    expect(run.status).toBe('completed')
    const square = kit.step(run, 'square')
    expect(square.result).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) ** 2))
    expect(square.elements).toMatchObject({ total: 100, completed: 100 })
    expect(kit.step(run, 'sum').result).toBe(338_350)
    const batch = await client.get(`/api/jobs/batch/${square.batch_id}`)
    expect(batch.body).toMatchObject({ total: 100, completed: 100 })
  })

  it('keeps a result over 1 MiB in storage and still hands it on', async () => {
    const id = await kit.define({
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
    const run = await kit.runToEnd(id)
    expect(run.status).toBe('completed')
    const big = kit.step(run, 'big')
    expect(big.result).toBeNull()
    expect(big.stored).toMatchObject({
      url: expect.stringMatching(/^\/api\/storage\/wide\/workflows\/results\/[0-9a-f]{64}\.json$/),
    })
    expect(big.stored.size).toBeGreaterThan(1 << 20)
    expect(kit.step(run, 'count').result).toBe(3500)
    const file = await client.get(big.stored.url)
    expect(file.body.result).toHaveLength(3000)
  })

  it('completes a fan-out over an empty list at once', async () => {
    const id = await kit.define({
      name: 'empty',
      steps: [{ id: 'each', run: { runtime: 'js', code: 'INPUT.item' }, foreach: [] }],
    })
    const run = await kit.runToEnd(id)
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
    const id = await kit.define({
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
    const run = await kit.runToEnd(id, { who: 'ada' })
    expect(run.status).toBe('completed')
    expect(kit.step(run, 'greet')).toMatchObject({
      kind: 'function',
      result: { status: 201, body: { hello: 'ADA', method: 'POST', q: '1' } },
    })
  })
})

describe('failures and retries', () => {
  it('retries a failing step and completes when an attempt succeeds', async () => {
    const id = await kit.define({
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
    const run = await kit.runToEnd(id)
    expect(run.status).toBe('completed')
    const step = kit.step(run, 'flaky')
    expect(step).toMatchObject({ status: 'completed', attempts: 3, result: 3 })
    expect(step.job_ids).toEqual([1, 2, 3].map((a) => `${run.id}.flaky.0.${a}`))
  })

  it('fails the run when a step fails past its retries, and skips what needed it', async () => {
    const id = await kit.define({
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
    const run = await kit.runToEnd(id)
    expect(run.status).toBe('failed')
    expect(run.error).toMatch(/step 'boom' failed/)
    expect(kit.step(run, 'boom')).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { code: 'GUEST_ERROR' },
    })
    expect(kit.step(run, 'after').status).toBe('skipped')
  })

  it('goes on past a step that may fail, skipping only its dependents', async () => {
    const id = await kit.define({
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
    const run = await kit.runToEnd(id)
    expect(run.status).toBe('completed')
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual([
      'failed',
      'skipped',
      'completed',
    ])
  })

  it('fails a step whose reference names nothing at run time', async () => {
    const id = await kit.define({
      name: 'missing',
      steps: [{ id: 'a', run: { runtime: 'js', code: 'INPUT' }, input: '${input.nothing.here}' }],
    })
    const run = await kit.runToEnd(id, { n: 1 })
    expect(kit.step(run, 'a')).toMatchObject({
      status: 'failed',
      error: { code: 'TEMPLATE_ERROR' },
    })
  })

  it('re-runs only the failed step when a failed run is retried', async () => {
    const id = await kit.define({
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
    const failed = await kit.runToEnd(id)
    expect(failed.status).toBe('failed')
    const retried = await client.post(`/api/workflow-runs/${failed.id}/retry`)
    expect(retried.status).toBe(202)
    const done = (await client.get(`/api/workflow-runs/${failed.id}?wait=30`)).body
    expect(done.status).toBe('completed')
    expect(kit.step(done, 'first')).toMatchObject({ result: 1, attempts: 1 })
    expect(kit.step(done, 'second')).toMatchObject({ result: 2, attempts: 2 })
    expect((await client.post(`/api/workflow-runs/${failed.id}/retry`)).body.code).toBe(
      'RUN_NOT_FAILED',
    )
  })
})

describe('cancel', () => {
  it('stops a running run and cancels its running job', async () => {
    const id = await kit.define({
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
    expect(kit.step(cancelled.body, 'spin').status).toBe('cancelled')
    expect(kit.step(cancelled.body, 'never').status).toBe('cancelled')
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
