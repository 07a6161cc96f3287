/**
 * Result integrity against the core in process: three honest volunteers (anonymous, as
 * `zerverless --worker` ones) plus a scripted one that answers every job with a wrong result. A
 * redundant job never takes the lie. What a restart keeps is in redundancy-restart.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import type { Frame, ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient
let liar: ScriptedVolunteer

const SQUARE = 'return INPUT.n * INPUT.n'

/** Job frames the liar received. */
const liarJobs = (): Frame[] => liar.frames.filter((f) => f.type === 'job')

const volunteers = async () => (await client.get('/api/volunteers')).body.volunteers as any[]

beforeAll(async () => {
  server = await createTestApp({ volunteers: 0 })
  client = server.api
  // The liar says hello first, so it is the first volunteer offered a copy.
  liar = await server.scripted({ runtimes: ['lua'], concurrency: 1 })
  liar.onFrame((frame) => {
    if (frame.type === 'job') liar.complete(frame, -1, 'trust me\n')
  })
  for (let i = 0; i < 3; i++) await server.addVolunteer({ token: null, kind: 'node' })
  await eventually(async () => ((await volunteers()).length === 4 ? true : undefined), 20_000)
})

afterAll(async () => {
  liar?.close()
  await server?.close()
})

describe('redundancy against a lying volunteer', () => {
  it('never accepts the wrong answer, completes with the right one, and the liar loses standing', async () => {
    const created = await client.post('/api/jobs', {
      job_type: 'lua',
      code: SQUARE,
      input_data: { n: 7 },
      redundancy: 2,
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ redundancy: 2, quorum: { needed: 2 } })
    const job = (await client.get(`/api/jobs/${created.body.id}?wait=30`)).body
    expect(job).toMatchObject({ status: 'completed', result: 49, redundancy: 2 })
    // The liar took a copy of round 1; its 2-way split sent round 2 to two honest workers.
    expect(liarJobs().map((f) => f.job_id)).toEqual([job.id])
    expect(job.attempts).toBe(2)
    expect(job.quorum).toMatchObject({ needed: 2, answers: 4, agreeing: 3, running: 0 })

    const standing = (await volunteers()).find((v) => v.id === liar.volunteerId)
    expect(standing.reputation).toMatchObject({ agreed: 0, disagreed: 1, trusted: false })
    expect(standing.reputation.score).toBeLessThan(0.5)
    const others = (await volunteers()).filter((v) => v.id !== liar.volunteerId)
    expect(others.every((v) => v.reputation.disagreed === 0)).toBe(true)
    expect(others.reduce((n, v) => n + v.reputation.agreed, 0)).toBe(3)
  })

  it('gives the liar no more redundant jobs, and every result is right', async () => {
    const before = liarJobs().length
    const inputs = Array.from({ length: 6 }, (_, i) => ({ n: i + 1 }))
    const batch = await client.post('/api/jobs/batch', {
      job_type: 'lua',
      code: SQUARE,
      inputs,
      redundancy: 3,
    })
    expect(batch.status).toBe(201)
    const done = await client.get(`/api/jobs/batch/${batch.body.batch_id}?wait=60`)
    expect(done.body).toMatchObject({ done: true, completed: 6 })
    const { body } = await client.get(`/api/jobs?batch_id=${batch.body.batch_id}&limit=100`)
    for (const job of body.jobs) {
      expect(job.result).toBe(job.input_data.n * job.input_data.n)
      expect(job).toMatchObject({ redundancy: 3, attempts: 1, quorum: { needed: 2 } })
    }
    expect(liarJobs().length).toBe(before)
  })

  it('keeps the job view of redundancy 1 as it was', async () => {
    const job = await client.run({ job_type: 'lua', code: SQUARE, input_data: { n: 3 } })
    expect(job.status).toBe('completed')
    expect(job).not.toHaveProperty('redundancy')
    expect(job).not.toHaveProperty('quorum')
  })

  it('refuses a redundancy outside 1..5', async () => {
    const res = await client.post('/api/jobs', { job_type: 'lua', code: SQUARE, redundancy: 6 })
    expect(res.status).toBe(400)
    expect(JSON.stringify(res.body)).toContain('redundancy')
  })
})
