/**
 * Tenant isolation inside the tab's sandbox Web Workers: the orchestrator runs no internal
 * workers and the tab gives one thread, so every job below ran in this browser, on one worker if
 * nothing separated them. Same attacks as test/security/tenant-isolation.test.ts on Node.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { api } from '../test/helpers/api'
import { tenantIsolationContract } from '../test/contract/tenant-isolation-contract'
import { REALM_PROBES } from '../test/helpers/realm-probes'
import { eventually, type ZerverlessProcess } from '../test/helpers/zerverless-process'
import { connectedAs, startTabVolunteer, type TabVolunteer } from './fixtures'

let server: ZerverlessProcess
let page: Page
let volunteerId: string
let client: ReturnType<typeof api>

let tab: TabVolunteer | undefined

beforeAll(async () => {
  tab = await startTabVolunteer()
  ;({ server, client, page, volunteerId } = tab)
  await page.selectOption('[data-testid="threads"]', '1')
}, 60_000)

afterAll(async () => {
  await tab?.stop()
})

describe('a tab with one sandbox thread', () => {
  /** Every scenario starts from a freshly loaded tab with one sandbox thread. */
  beforeEach(async () => {
    await page.reload()
    volunteerId = await connectedAs(page)
    await eventually(
      async () => {
        const { volunteers } = (await client.get('/api/volunteers')).body as {
          volunteers: { id: string; concurrency: number }[]
        }
        return volunteers.length === 1 && volunteers[0]?.concurrency === 1 ? true : undefined
      },
      20_000,
      'the tab alone, with one thread',
    )
  }, 60_000)

  tenantIsolationContract({
    client: () => client,
    http: () => server.url,
    volunteerId: () => volunteerId,
    timeoutMs: 240_000,
  })
})

describe('hostile guests in the tab', () => {
  for (const probe of REALM_PROBES)
    it(`${probe.runtime} realm probe: ${probe.name}`, async () => {
      const done = await client.run({ timeout_seconds: 30, ...(await probe.job()) }, 60)
      expect(done.volunteer_id).toBe(volunteerId)
      expect(done.status, JSON.stringify(done.error)).toBe('completed')
      expect(done.result).toEqual(probe.result)
    }, 90_000)

  it('python: os._exit, or an exit through ctypes, fails the job as its own error', async () => {
    for (const code of ['import os\nos._exit(0)', 'import ctypes\nctypes.CDLL(None)._exit(0)']) {
      const done = await client.run({ job_type: 'python', code, timeout_seconds: 30 }, 60)
      expect(done, code).toMatchObject({ status: 'failed', error: { code: 'GUEST_ERROR' } })
      expect(done.error.message).toMatch(/os\._exit|ended the Python interpreter/)
    }
    const next = await client.run({ job_type: 'python', code: '6 * 7', timeout_seconds: 30 }, 60)
    expect(next).toMatchObject({ status: 'completed', result: 42, volunteer_id: volunteerId })
  }, 120_000)

  it('lua: a __gc finalizer cannot write to the database after the job reported', async () => {
    const done = await client.run({
      job_type: 'lua',
      namespace: 'gc-probe',
      code: 'setmetatable({}, {__gc = function() db.set("late", "written after the job") end}) return "done"',
    })
    expect(done).toMatchObject({ status: 'completed', result: 'done', volunteer_id: volunteerId })
    expect((await client.get('/api/db/gc-probe/late')).status).toBe(404)
  })
})
