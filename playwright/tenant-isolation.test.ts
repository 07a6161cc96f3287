/**
 * Tenant isolation inside the tab's sandbox Web Workers: the orchestrator runs no internal
 * workers and the tab gives one thread, so every job below ran in this browser, on one worker if
 * nothing separated them. Same attacks as test/tenant-isolation.test.ts on Node.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { api } from '../test/helpers/api'
import {
  ALICE_SECRETS,
  aliceCalls,
  aliceRuns,
  aliceValues,
  eveRuns,
  PLANT_GETTER_ONLY,
  PLANT_STASH,
  PLANT_TTL,
  READ_STASH,
} from '../test/helpers/tenant-attacks'
import { REALM_PROBES } from '../test/helpers/realm-probes'
import { eventually, removeDir, type ZerverlessProcess } from '../test/helpers/zerverless-process'
import {
  connectedAs,
  launchBrowser,
  openVolunteer,
  startOrchestrator,
  type Browser,
} from './fixtures'

let server: ZerverlessProcess
let browser: Browser
let page: Page
let volunteerId: string
let client: ReturnType<typeof api>

beforeAll(async () => {
  server = await startOrchestrator()
  client = api(server.url)
  browser = await launchBrowser()
  ;({ page, volunteerId } = await openVolunteer(browser.context, server.url))
  await page.selectOption('[data-testid="threads"]', '1')
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

const settled = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function expectEveSeesNothingOfAlice() {
  const read = await eveRuns(client, READ_STASH)
  expect(read.volunteer_id).toBe(volunteerId)
  const seen = JSON.stringify(read.result ?? read.error)
  for (const secret of ALICE_SECRETS) expect(seen).not.toContain(secret)
  expect(seen).not.toContain('alice')
}

describe('a tab with one sandbox thread, shared by eve and alice', () => {
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

  it("never shows eve alice's code, inputs or HTTP requests", async () => {
    expect(await eveRuns(client, PLANT_STASH)).toMatchObject({ volunteer_id: volunteerId })
    const jobs = await aliceRuns(client, ['js', 'lua', 'wasm'])
    expect(jobs.map((j) => [j.status, j.volunteer_id])).toEqual([
      ['completed', volunteerId],
      ['completed', volunteerId],
      ['completed', volunteerId],
    ])
    expect(await aliceCalls(client, server.url)).toEqual({
      status: 200,
      body: 'sk-alice-fn:4111 1111 1111 1111',
    })
    await expectEveSeesNothingOfAlice()
    expect((await aliceRuns(client, ['python']))[0]).toMatchObject({ status: 'completed' })
    await expectEveSeesNothingOfAlice()
  }, 240_000)

  it("keeps alice's database writes as she made them when eve plants a ttl", async () => {
    await eveRuns(client, PLANT_TTL)
    const jobs = await aliceRuns(client, ['js', 'lua'])
    const call = await aliceCalls(client, server.url)
    jobs.push(...(await aliceRuns(client, ['python'])))
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed'])
    expect(call.status).toBe(200)
    await settled(1500)
    expect(await aliceValues(client)).toEqual(['kept', 'kept', 'kept', 'kept'])
  }, 240_000)

  it('lets alice write to her database when eve plants getters without setters', async () => {
    await eveRuns(client, PLANT_GETTER_ONLY)
    const jobs = await aliceRuns(client, ['js', 'lua'])
    const call = await aliceCalls(client, server.url)
    jobs.push(...(await aliceRuns(client, ['python'])))
    expect(jobs.map((j) => [j.status, j.error?.message])).toEqual([
      ['completed', undefined],
      ['completed', undefined],
      ['completed', undefined],
    ])
    expect(call.status).toBe(200)
    expect(await aliceValues(client)).toEqual(['kept', 'kept', 'kept', 'kept'])
  }, 240_000)
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
