/**
 * How deep a tab's queue is: like each internal worker's thread, each of the tab's sandbox threads
 * has a job waiting beside the one it runs, so a thread that finishes starts the next at once
 * instead of idling for a round trip to the orchestrator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../test/helpers/zerverless-process'
import { connectedAs, startTabVolunteer, type TabVolunteer } from './fixtures'

let tab: TabVolunteer | undefined

beforeAll(async () => {
  tab = await startTabVolunteer()
}, 60_000)

afterAll(async () => {
  await tab?.stop()
})

/** A guest that keeps its thread busy for `ms`. */
const busy = (ms: number) => ({
  job_type: 'js',
  code: `const end = Date.now() + ${ms}; while (Date.now() < end) {}; "done"`,
  timeout_seconds: 60,
})

describe('a tab with two sandbox threads', () => {
  it('holds a waiting job for each thread besides the two it runs', async () => {
    const { page, client } = tab as TabVolunteer
    await page.selectOption('[data-testid="threads"]', '2')
    const volunteerId = await eventually(
      async () => {
        const id = await connectedAs(page)
        const { volunteers } = (await client.get('/api/volunteers')).body as {
          volunteers: { id: string; concurrency: number }[]
        }
        return volunteers.some((v) => v.id === id && v.concurrency === 2) ? id : undefined
      },
      20_000,
      'the tab reconnected with two threads',
    )
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push((await client.post('/api/jobs', busy(3000))).body.id)
    // Two run and two wait in the tab: all four are the tab's at once, none left pending.
    const running = await eventually(
      async () => {
        const jobs = await Promise.all(
          ids.map(async (id) => (await client.get(`/api/jobs/${id}`)).body),
        )
        return jobs.every((job) => job.status === 'running') ? jobs : undefined
      },
      2_500,
      'all four jobs handed to the tab',
    )
    expect(running.map((job) => job.volunteer_id)).toEqual(ids.map(() => volunteerId))
    for (const id of ids) {
      const done = (await client.get(`/api/jobs/${id}?wait=30`)).body
      expect(done).toMatchObject({ status: 'completed', result: 'done', volunteer_id: volunteerId })
    }
  })
})
