/**
 * The tenant-isolation scenarios, written once and run against one sandbox thread that would
 * serve everyone: a volunteer on Node (test/security/tenant-isolation.test.ts) and a browser tab
 * (playwright/tenant-isolation.test.ts). eve's Python jobs reach the thread's JavaScript realm and
 * plant accessors on its Object.prototype; alice's jobs of every runtime and her function call
 * must neither leak to eve nor have their database writes altered.
 */
import { describe, expect, it } from 'vitest'
import type { api, Fetcher } from '../helpers/api'
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
} from '../helpers/tenant-attacks'

export interface TenantIsolationTarget {
  client(): ReturnType<typeof api>
  /** Where function calls go: a base URL, or an in-process app's fetch. */
  http(): string | Fetcher
  /** The one volunteer every job must have run on, where the suite can tell (the tab). */
  volunteerId?(): string
  timeoutMs: number
}

const settled = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function tenantIsolationContract(target: TenantIsolationTarget): void {
  const client = () => target.client()
  /** Each job ran where the suite expects: on the one volunteer, when it knows which. */
  const ranThere = (jobs: { status: string; volunteer_id?: string }[]) => {
    const there = target.volunteerId?.()
    expect(jobs.map((j) => [j.status, there && j.volunteer_id])).toEqual(
      jobs.map(() => ['completed', there]),
    )
  }

  /** eve plants `code` (the frozen realm refuses it, which is fine: where it ran is what counts). */
  async function evePlants(code: string) {
    const planted = await eveRuns(client(), code)
    if (target.volunteerId) expect(planted.volunteer_id).toBe(target.volunteerId())
  }

  async function expectEveSeesNothingOfAlice() {
    const read = await eveRuns(client(), READ_STASH)
    if (target.volunteerId) expect(read.volunteer_id).toBe(target.volunteerId())
    const seen = JSON.stringify(read.result ?? read.error)
    for (const secret of ALICE_SECRETS) expect(seen).not.toContain(secret)
    expect(seen).not.toContain('alice')
  }

  /** alice's js, lua and Python jobs and her function call, after eve planted `code`. */
  async function aliceWritesAfter(code: string) {
    await evePlants(code)
    const jobs = await aliceRuns(client(), ['js', 'lua'])
    const call = await aliceCalls(client(), target.http())
    jobs.push(...(await aliceRuns(client(), ['python'])))
    expect(jobs.map((j) => j.error?.message)).toEqual([undefined, undefined, undefined])
    ranThere(jobs)
    expect(call.status).toBe(200)
  }

  describe('one sandbox thread shared by eve and alice', () => {
    it(
      "never shows eve alice's code, inputs or HTTP requests",
      async () => {
        await evePlants(PLANT_STASH)
        ranThere(await aliceRuns(client(), ['js', 'lua', 'wasm']))
        expect(await aliceCalls(client(), target.http())).toEqual({
          status: 200,
          body: 'sk-alice-fn:4111 1111 1111 1111',
        })
        await expectEveSeesNothingOfAlice()
        ranThere(await aliceRuns(client(), ['python']))
        await expectEveSeesNothingOfAlice()
      },
      target.timeoutMs,
    )

    it(
      "keeps alice's database writes as she made them when eve plants a ttl",
      async () => {
        await aliceWritesAfter(PLANT_TTL)
        // A planted ttl of one second would have expired every key by now.
        await settled(1500)
        expect(await aliceValues(client())).toEqual(['kept', 'kept', 'kept', 'kept'])
      },
      target.timeoutMs,
    )

    it(
      'lets alice write to her database when eve plants getters without setters',
      async () => {
        await aliceWritesAfter(PLANT_GETTER_ONLY)
        expect(await aliceValues(client())).toEqual(['kept', 'kept', 'kept', 'kept'])
      },
      target.timeoutMs,
    )
  })
}
