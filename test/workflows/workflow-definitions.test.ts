/**
 * Workflows as documents, in process: starting once per caller id, versions, the seed's names,
 * listing and deleting, and every bad definition the API refuses.
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

describe('starting, versions and the seed names', () => {
  it('starts once for one caller id', async () => {
    const id = await kit.define({
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
    const id = await kit.define(doc(1))
    const first = (await client.post(`/api/workflows/${id}/runs`, {})).body
    const updated = await client.put(`/api/workflows/${id}`, doc(2))
    expect(updated.body.version).toBe(2)
    const before = (await client.get(`/api/workflow-runs/${first.id}?wait=30`)).body
    expect(before).toMatchObject({ workflow_version: 1, status: 'completed' })
    expect(kit.step(before, 'last').result).toBe(1)
    const after = await kit.runToEnd(id)
    expect(after).toMatchObject({ workflow_version: 2 })
    expect(kit.step(after, 'last').result).toBe(2)
  })

  it('answers the seed names for executing and reading status', async () => {
    const id = await kit.define({
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
    const id = await kit.define({
      name: 'short-lived',
      namespace: 'listing',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1' } }],
    })
    const run = await kit.runToEnd(id)
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
    const id = await kit.define({
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
    expect(kit.step(await kit.runToEnd(id, { n: 10_001 }), 'each').error.code).toBe(
      'FANOUT_TOO_LARGE',
    )
    expect(kit.step(await kit.runToEnd(id, { n: 0 }), 'each').error.code).toBe('FOREACH_NOT_A_LIST')
  })
})
