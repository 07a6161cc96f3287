/**
 * The volunteer page's running jobs in real Chromium: the one its thread runs, with its elapsed
 * time and the progress its guest reported (also in `GET /api/jobs/{id}`), and not the one that
 * waits beside it for the thread. Each job waits for a database key the test sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../test/helpers/zerverless-process'
import { connectedAs, screenshotPath, startTabVolunteer, type TabVolunteer } from './fixtures'

let tab: TabVolunteer | undefined

beforeAll(async () => {
  tab = await startTabVolunteer()
}, 60_000)

afterAll(async () => {
  await tab?.stop()
})

/** Reports, then polls `key` until the test sets it. */
const waiting = (key: string, report: string) => ({
  job_type: 'js',
  code: `${report}
while (db.get(${JSON.stringify(key)}) === null) { const t = Date.now(); while (Date.now() - t < 20) {} }
"done"`,
  timeout_seconds: 60,
})

describe('running jobs on the volunteer page', () => {
  it('shows the running job with its elapsed time and progress, and not the one waiting for the thread', async () => {
    const { page, client } = tab as TabVolunteer
    await page.selectOption('[data-testid="threads"]', '1')
    await eventually(
      async () => {
        const id = await connectedAs(page)
        const { volunteers } = (await client.get('/api/volunteers')).body as {
          volunteers: { id: string; concurrency: number }[]
        }
        return volunteers.some((v) => v.id === id && v.concurrency === 1) || undefined
      },
      20_000,
      'the tab connected with one thread',
    )
    const first = (await client.post('/api/jobs', waiting('go-first', 'progress(0.4, "step 2")')))
      .body.id as string
    await eventually(
      async () => (await client.get(`/api/jobs/${first}`)).body.progress ?? undefined,
      30_000,
      'the first job reporting',
    )
    const second = (await client.post('/api/jobs', waiting('go-second', ''))).body.id as string
    // The second job is the tab's too (prefetched), but waits for the thread.
    await eventually(
      async () => (await client.get(`/api/jobs/${second}`)).body.status === 'running' || undefined,
      10_000,
      'the second job handed to the tab',
    )
    const item = page.locator('[data-testid="running"] li')
    await eventually(
      async () => ((await item.first().textContent()) ?? '').includes('step 2') || undefined,
      10_000,
      'the progress on the page',
    )
    expect(await item.count()).toBe(1)
    expect(await page.locator('[data-testid="running-count"]').textContent()).toBe('1')
    const text = (await item.first().textContent()) ?? ''
    expect(text).toContain(first.slice(0, 8))
    expect(text).toContain('40%')
    expect(text).toMatch(/\d+ s/)
    expect(await item.first().locator('progress').getAttribute('value')).toBe('0.4')
    await page.screenshot({ path: screenshotPath('job-progress.png'), fullPage: true })

    await client.put('/api/db/default/go-first', { value: true })
    // The thread is free: the waiting job starts, and it is the one shown now.
    await eventually(
      async () =>
        ((await item.first().textContent()) ?? '').includes(second.slice(0, 8)) || undefined,
      20_000,
      'the second job running on the page',
    )
    expect(await item.count()).toBe(1)
    await client.put('/api/db/default/go-second', { value: true })
    for (const id of [first, second])
      expect((await client.get(`/api/jobs/${id}?wait=30`)).body).toMatchObject({
        status: 'completed',
        result: 'done',
        progress: null,
      })
  }, 120_000)

  it('plots the cores its jobs kept busy, on a time axis with units', async () => {
    const { page, client } = tab as TabVolunteer
    const chart = page.locator('[data-testid="cpu-chart"]')
    // uPlot drew its canvas and both axes (time, and cores: the axis label is on the canvas, the
    // legend names the unit too).
    await chart.locator('canvas').waitFor()
    expect(await chart.locator('.u-axis').count()).toBe(2)
    expect(await chart.textContent()).toContain('busy (CPU cores)')
    const busy = (await client.post('/api/jobs', waiting('go-cpu', ''))).body.id as string
    // The job keeps the one thread busy until the plot has taken two samples that show it (a
    // line, not a dot, in the screenshot).
    await eventually(
      async () => {
        const [peak, points] = [
          await chart.getAttribute('data-peak'),
          await chart.getAttribute('data-points'),
        ]
        return (Number(peak) > 0.5 && Number(points) >= 2) || undefined
      },
      30_000,
      'samples with the busy thread',
    )
    const summary = (await chart.getAttribute('aria-label')) ?? ''
    expect(summary).toMatch(/peak \d\.\d\d cores? of 1$/)
    expect(await page.locator('[data-testid="cpu-now"]').textContent()).toMatch(/\d\.\d\d core/)
    await chart.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('volunteer-cpu.png'), fullPage: true })
    await client.put('/api/db/default/go-cpu', { value: true })
    expect((await client.get(`/api/jobs/${busy}?wait=30`)).body.status).toBe('completed')
  }, 60_000)
})
