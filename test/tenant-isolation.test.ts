/**
 * Tenant isolation inside sandbox threads, through the real server with one internal worker (so
 * one sandbox thread would serve everyone): eve's Python jobs reach that thread's JavaScript realm
 * and plant accessors on its Object.prototype; alice's jobs of every runtime and her function call
 * must neither leak to eve nor have their database writes altered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { api } from './helpers/api'
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
} from './helpers/tenant-attacks'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

let server: ZerverlessProcess
let client: ReturnType<typeof api>

beforeEach(async () => {
  server = await startZerverless(['--workers', '1'])
  client = api(server.url)
  await eventually(async () => (await client.get('/stats')).body.volunteers.idle === 1 || undefined)
})

afterEach(async () => {
  expect(await server.stop()).toBe(0)
  removeDir(server.dataDir)
})

const settled = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What eve's read-back found, checked for every secret alice's work carried. */
async function expectEveSeesNothingOfAlice() {
  const read = await eveRuns(client, READ_STASH)
  const seen = JSON.stringify(read.result ?? read.error)
  for (const secret of ALICE_SECRETS) expect(seen).not.toContain(secret)
  expect(seen).not.toContain('alice')
}

describe('one sandbox thread shared by eve and alice', () => {
  it("never shows eve alice's code, inputs or HTTP requests", async () => {
    await eveRuns(client, PLANT_STASH)
    const jobs = await aliceRuns(client, ['js', 'lua', 'wasm'])
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed'])
    expect(await aliceCalls(client, server.url)).toEqual({
      status: 200,
      body: 'sk-alice-fn:4111 1111 1111 1111',
    })
    await expectEveSeesNothingOfAlice()

    expect((await aliceRuns(client, ['python']))[0]).toMatchObject({ status: 'completed' })
    await expectEveSeesNothingOfAlice()
  }, 180_000)

  it("keeps alice's database writes as she made them when eve plants a ttl", async () => {
    await eveRuns(client, PLANT_TTL)
    const jobs = await aliceRuns(client, ['js', 'lua'])
    const call = await aliceCalls(client, server.url)
    jobs.push(...(await aliceRuns(client, ['python'])))
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed'])
    expect(call.status).toBe(200)
    // A planted ttl of one second would have expired every key by now.
    await settled(1500)
    expect(await aliceValues(client)).toEqual(['kept', 'kept', 'kept', 'kept'])
  }, 180_000)

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
  }, 180_000)
})
