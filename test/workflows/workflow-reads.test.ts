/**
 * What a workflow costs the store as its jobs end, on the real core with a real volunteer: a job
 * end reads its unit once and not the run's input (which may hold the list a step fans out over),
 * a job that is no workflow's costs the engine no read, and a run's view counts a fan-out's
 * elements without reading each one. Counts of queries and rows, never timings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SqlValue } from '../../edge/core/store/sql'
import type { ApiClient } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

interface Query {
  query: string
  params: readonly SqlValue[]
  rows: number
}

let server: TestApp
let client: ApiClient
let seen: Query[] = []

beforeAll(async () => {
  server = await createTestApp({
    volunteers: 1,
    observeSql: (query, params, rows) => seen.push({ query, params, rows }),
  })
  client = server.api
  await idleVolunteers(server, 1)
}, 60_000)

afterAll(async () => {
  await server.close()
})

const FAN_OUT = {
  name: 'fan',
  steps: [
    {
      id: 'each',
      run: { runtime: 'js', code: 'INPUT.n + 1' },
      foreach: '${input.list}',
      input: { n: '${item}' },
    },
  ],
}
const list = Array.from({ length: 100 }, (_, n) => n)

async function runToEnd(doc: object, input: unknown) {
  const id = (await client.post('/api/workflows', doc)).body.id as string
  const run = (await client.post(`/api/workflows/${id}/runs`, { input })).body.id as string
  const done = (await client.get(`/api/workflow-runs/${run}?wait=60`)).body
  expect(done.status).toBe('completed')
  return done
}

const whole = (q: Query) => /SELECT \*[^;]*FROM workflow_runs/.test(q.query)
const unitByJob = (q: Query) => /FROM workflow_units WHERE job_id/.test(q.query)

describe('a job end', () => {
  it("reads the run's input once per step, not once per foreach element", async () => {
    seen = []
    const run = await runToEnd(FAN_OUT, { list })
    expect(run.steps[0].result).toEqual(list.map((n) => n + 1))
    // The start, the step's references, the answers to the client: not one per element.
    expect(seen.filter(whole).length).toBeLessThan(10)
  })

  it('reads its unit once', async () => {
    seen = []
    const run = await runToEnd(
      { name: 'one', steps: [{ id: 'only', run: { runtime: 'js', code: '1' } }] },
      null,
    )
    const job = `${run.id}.only.0.1`
    expect(seen.filter((q) => unitByJob(q) && q.params[0] === job)).toHaveLength(1)
  })

  it("costs a job that is no workflow's no read", async () => {
    seen = []
    const job = await client.run({ job_type: 'js', code: '1' })
    expect(job.status).toBe('completed')
    // (The clock looks for due retries every 100 ms; nothing may look for this job.)
    expect(seen.filter((q) => /workflow_/.test(q.query) && q.params.includes(job.id))).toEqual([])
  })
})

describe("a run's view", () => {
  it("counts a fan-out's elements without reading each one", async () => {
    const run = await runToEnd(FAN_OUT, { list })
    seen = []
    const view = (await client.get(`/api/workflow-runs/${run.id}`)).body
    expect(view.steps[0]).toMatchObject({
      attempts: 1,
      elements: { total: 100, completed: 100, running: 0, waiting: 0, failed: 0 },
    })
    const unitRows = seen
      .filter((q) => /FROM workflow_units/.test(q.query))
      .reduce((n, q) => n + q.rows, 0)
    expect(unitRows).toBeLessThan(10)
  })
})
