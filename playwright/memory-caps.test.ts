/**
 * The memory bombs of test/helpers/memory-bombs.ts in real Chromium, where the tab is the only
 * volunteer (`--workers 0`), while the browser's processes are sampled. Each must end as
 * OUT_OF_MEMORY (or be refused what it asked for) in this tab, which survives it (a worker whose
 * heap passes Chromium's limit takes its whole tab down), stays under a bound while the bomb runs,
 * gives the memory back, and runs a job of every runtime afterwards.
 */
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { api } from '../test/helpers/api'
import { BOMBS, everyRuntime } from '../test/helpers/memory-bombs'
import { MiB, processTree, watchRss, type RssWatch } from '../test/helpers/rss-watch'
import { removeDir, type ZerverlessProcess } from '../test/helpers/zerverless-process'
import { launchBrowser, openVolunteer, startOrchestrator, type Browser } from './fixtures'

/** Past this the browser is killed: the cap did not hold (the tab would crash near 4 GiB anyway). */
const HARD_LIMIT = 3 * 1024 * MiB
/** While a bomb runs the browser may grow this far above what it held before the bomb ... */
const PEAK_ALLOWANCE = 768 * MiB
/** ... and must come back within this of it once the bomb is over. */
const AFTER_ALLOWANCE = 64 * MiB

let server: ZerverlessProcess
let browser: Browser
let page: Page
let volunteerId: string
let client: ReturnType<typeof api>
let watch: RssWatch
let crashed = false

/** Chromium's own processes: the one started with this test's profile, and everything below it. */
function chromium(profile: string): number[] {
  const main = processTree(process.pid).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`--user-data-dir=${profile}`)
    } catch {
      return false
    }
  })
  return main === undefined ? [] : processTree(main)
}

async function openTab(): Promise<void> {
  browser = await launchBrowser()
  ;({ page, volunteerId } = await openVolunteer(browser.context, server.url))
  crashed = false
  page.on('crash', () => (crashed = true))
  const profile = browser.profile
  watch = watchRss(
    () => chromium(profile),
    HARD_LIMIT,
    () => {
      for (const pid of chromium(profile).slice(0, 1)) process.kill(pid, 'SIGKILL')
    },
  )
  await expectEveryRuntime()
}

beforeAll(async () => {
  server = await startOrchestrator()
  client = api(server.url)
  await openTab()
}, 120_000)

beforeEach(async () => {
  // A bomb that took the browser or the tab down must not take the next probe with it.
  if (!watch.tripped && !crashed) return
  watch.stop()
  await browser.close().catch(() => undefined)
  await openTab()
}, 120_000)

afterAll(async () => {
  watch?.stop()
  await browser?.close().catch(() => undefined)
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

async function expectEveryRuntime(): Promise<void> {
  for (const [job, result] of await everyRuntime()) {
    const done = await client.run({ timeout_seconds: 60, ...job }, 90)
    expect(done.result, `${job.job_type}: ${JSON.stringify(done.error)}`).toEqual(result)
    expect(done.volunteer_id).toBe(volunteerId)
  }
}

const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`

describe('memory caps in a browser tab', () => {
  for (const bomb of BOMBS) {
    it(`survives ${bomb.name}`, async () => {
      const before = watch.now()
      watch.reset()
      // No retries: a bomb that took its volunteer down must not be handed to the next one.
      const job = { timeout_seconds: 30, max_retries: 0, ...(await bomb.job()) }
      const done = await client.run(job, 90)
      const seen = () => `before ${mib(before)}, peak ${mib(watch.peak())}`
      expect(watch.tripped, `the browser passed ${mib(HARD_LIMIT)} (${seen()})`).toBe(false)
      expect(crashed, 'the tab crashed').toBe(false)
      bomb.verdict(done)
      expect(done.volunteer_id).toBe(volunteerId)
      expect(watch.peak(), seen()).toBeLessThan(before + PEAK_ALLOWANCE)
      await expect
        .poll(() => watch.now(), { timeout: 15_000, message: `RSS back (${seen()})` })
        .toBeLessThan(before + AFTER_ALLOWANCE)
      // The page itself still answers, and its tab is still the volunteer that runs everything.
      expect(await page.evaluate(() => document.visibilityState)).toBe('visible')
      await expectEveryRuntime()
    }, 240_000)
  }
})
