/**
 * Memory caps that hold: every bomb in helpers/memory-bombs.ts runs as a real job on the real
 * server's internal worker, while the server's RSS is sampled. Each must end as OUT_OF_MEMORY (or
 * be refused what it asked for), keep the orchestrator under a bound while it runs, give its memory
 * back afterwards, and leave every runtime working.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { api } from './helpers/api'
import { BOMBS, everyRuntime } from './helpers/memory-bombs'
import { MiB, watchRss, type RssWatch } from './helpers/rss-watch'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

/** Past this the server is killed: the cap did not hold, and the machine is shared. */
const HARD_LIMIT = 3 * 1024 * MiB
/** While a bomb runs the server may grow this far above its warm size ... */
const PEAK_ALLOWANCE = 640 * MiB
/** ... and must come back within this once it is over. */
const AFTER_ALLOWANCE = 64 * MiB

let server: ZerverlessProcess
let client: ReturnType<typeof api>
let watch: RssWatch
/** RSS with one job of every runtime done: Python loaded, every runtime warm. */
let warm = 0

async function boot(): Promise<void> {
  server = await startZerverless(['--workers', '1'])
  client = api(server.url)
  await eventually(async () => (await client.get('/stats')).body.volunteers.idle === 1 || undefined)
  const pid = server.child.pid as number
  watch = watchRss(
    () => [pid],
    HARD_LIMIT,
    () => server.child.kill('SIGKILL'),
  )
  await expectEveryRuntime()
  await new Promise((r) => setTimeout(r, 500))
  warm = watch.now()
}

async function expectEveryRuntime(): Promise<void> {
  for (const [job, result] of await everyRuntime()) {
    const done = await client.run(job, 60)
    expect(done.result, `${job.job_type}: ${JSON.stringify(done.error)}`).toEqual(result)
  }
}

beforeAll(boot, 120_000)

beforeEach(async () => {
  // A bomb that got the server killed must not take the next probe with it.
  if (watch.tripped || server.child.exitCode !== null || server.child.signalCode !== null) {
    watch.stop()
    await server.kill()
    removeDir(server.dataDir)
    await boot()
  }
}, 120_000)

afterAll(async () => {
  watch?.stop()
  if (server.child.exitCode === null && server.child.signalCode === null)
    expect(await server.stop()).toBe(0)
  removeDir(server.dataDir)
})

const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`

describe('memory caps on the Node host', () => {
  for (const bomb of BOMBS) {
    it(`holds against ${bomb.name}`, async () => {
      watch.reset()
      let done: Awaited<ReturnType<typeof client.run>> | undefined
      try {
        done = await client.run({ timeout_seconds: 30, ...(await bomb.job()) }, 90)
      } catch (err) {
        if (!watch.tripped) throw err
      }
      expect(
        watch.tripped,
        `the server passed ${mib(HARD_LIMIT)} (warm ${mib(warm)}) and was killed`,
      ).toBe(false)
      bomb.verdict(done as NonNullable<typeof done>)
      const peak = watch.peak()
      expect(peak, `peak ${mib(peak)}, warm ${mib(warm)}`).toBeLessThan(warm + PEAK_ALLOWANCE)
      const after = await eventually(
        () => (watch.now() < warm + AFTER_ALLOWANCE ? watch.now() : undefined),
        10_000,
        `RSS back under ${mib(warm + AFTER_ALLOWANCE)} (now ${mib(watch.now())}, warm ${mib(warm)})`,
      )
      expect(after).toBeLessThan(warm + AFTER_ALLOWANCE)
      await expectEveryRuntime()
    }, 180_000)
  }
})
