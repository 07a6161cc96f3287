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

  it('completes a fan-out over an empty list at once', async () => {
    const id = await define({
      name: 'empty',
      steps: [{ id: 'each', run: { runtime: 'js', code: 'INPUT.item' }, foreach: [] }],
    })
    const run = await runToEnd(id)
    expect(run).toMatchObject({ status: 'completed', steps: [{ id: 'each', result: [] }] })
  })
})
