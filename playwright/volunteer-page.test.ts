/**
 * The volunteer PWA in real Chromium against the real orchestrator started with `--workers 0`:
 * the tab is the only volunteer, so every job below ran in this browser.
 */
import { existsSync, statSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../test/helpers/api'
import { toBase64, wasmFixture } from '../test/helpers/wasm-fixtures'
import { eventually, type ZerverlessProcess } from '../test/helpers/zerverless-process'
import {
  connectedAs,
  screenshotPath,
  startTabVolunteer,
  type Browser,
  type TabVolunteer,
} from './fixtures'

let server: ZerverlessProcess
let browser: Browser
let page: Page
let volunteerId: string
let client: ReturnType<typeof api>

let tab: TabVolunteer | undefined

beforeAll(async () => {
  tab = await startTabVolunteer()
  ;({ server, client, browser, page, volunteerId } = tab)
}, 60_000)

afterAll(async () => {
  await tab?.stop()
})

const listed = async () =>
  (await client.get('/api/volunteers')).body.volunteers as {
    id: string
    agent: { kind: string }
    runtimes: string[]
    concurrency: number
  }[]

describe('the volunteer page', () => {
  it('connects as a browser volunteer offering every runtime', async () => {
    const me = (await listed()).find((v) => v.id === volunteerId)
    expect(me?.agent.kind).toBe('browser')
    expect(me?.runtimes).toEqual(['js', 'lua', 'python', 'wasm'])
    expect(await page.locator('[data-testid="isolation"]').textContent()).toContain('isolated:')
  })

  it('runs a job of each runtime in this tab, with the right result', async () => {
    const echo = toBase64(await wasmFixture('echo'))
    const cases = [
      {
        job: {
          job_type: 'js',
          namespace: 'alice',
          code: 'db.set("seen", INPUT.n); console.log("js says hi"); db.get("seen") * 2',
          input_data: { n: 21 },
        },
        result: 42,
        output: 'js says hi\n',
      },
      {
        job: {
          job_type: 'lua',
          code: 'print("Hello " .. INPUT.name); return INPUT.x + INPUT.y',
          input_data: { name: 'World', x: 10, y: 32 },
        },
        result: 42,
        output: 'Hello World\n',
      },
      {
        job: {
          job_type: 'python',
          code: 'import math\nprint("Hello from Python!")\nmath.factorial(INPUT["n"])',
          input_data: { n: 5 },
          timeout_seconds: 60,
        },
        result: 120,
        output: 'Hello from Python!\n',
      },
      {
        job: { job_type: 'wasm', wasm_base64: echo, input_data: { n: 7 } },
        result: { n: 7 },
        output: '{"n":7}',
      },
    ]
    for (const { job, result, output } of cases) {
      const done = await client.run(job, 60)
      expect(done, JSON.stringify(done.error)).toMatchObject({
        status: 'completed',
        result,
        volunteer_id: volunteerId,
      })
      expect(done.output).toBe(output)
    }
    // The database call went to alice's namespace on the orchestrator.
    expect((await client.get('/api/db/alice/seen')).body).toMatchObject({ value: 21 })
    await expect
      .poll(async () => Number(await page.locator('[data-testid="completed"]').textContent()))
      .toBeGreaterThanOrEqual(4)
  })

  it('keeps guests away from the page, its storage and the network', async () => {
    const hostile = [
      // Pyodide's JavaScript bridges lead nowhere once the worker is locked down.
      'from pyodide.code import run_js\nrun_js("self.indexedDB")',
      'import pyodide_js\npyodide_js',
      'import _zerverless_host\n_zerverless_host.call.constructor("return self")()',
      'from js import fetch\nfetch("/api/jobs")',
      'import js\njs.indexedDB.open("zerverless-volunteer")',
    ]
    for (const code of hostile) {
      const done = await client.run({ job_type: 'python', code, timeout_seconds: 30 }, 40)
      expect(done.status, `${code}\n→ ${JSON.stringify(done.result)}`).toBe('failed')
      expect(done.error.message).toMatch(
        /not available in the sandbox|No module named|cannot import name|AttributeError/,
      )
      expect(done.volunteer_id).toBe(volunteerId)
    }
    // The locked-down interpreter still runs ordinary Python.
    const fine = await client.run({ job_type: 'python', code: 'sum(range(10))' }, 40)
    expect(fine).toMatchObject({ status: 'completed', result: 45 })
    // QuickJS has a realm of its own: its Function constructor reaches only the guest's globals.
    const js = await client.run({
      job_type: 'js',
      code: '[typeof this.constructor.constructor("return globalThis")().indexedDB, typeof fetch, typeof self]',
    })
    expect(js).toMatchObject({
      status: 'completed',
      result: ['undefined', 'undefined', 'undefined'],
    })
    // The page's own storage is untouched and still works.
    const settings = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const open = indexedDB.open('zerverless-volunteer')
          open.onerror = () => reject(new Error('IndexedDB failed'))
          open.onsuccess = () => resolve(Array.from(open.result.objectStoreNames).join(','))
        }),
    )
    expect(settings).toBe('settings,totals')
  })

  it('stops a guest past its deadline by replacing its worker, and the page stays responsive', async () => {
    const spin = toBase64(await wasmFixture('spin'))
    const created = await client.post('/api/jobs', {
      job_type: 'wasm',
      wasm_base64: spin,
      timeout_seconds: 1,
    })
    await eventually(
      async () => (await client.get(`/api/jobs/${created.body.id}`)).body.status === 'running',
    )
    // The UI thread runs no guest code: it answers while the guest spins.
    expect(await page.evaluate(() => document.querySelector('h1')?.textContent)).toBe(
      'Zerverless volunteer',
    )
    const done = (await client.get(`/api/jobs/${created.body.id}?wait=20`)).body
    expect(done).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    const next = await client.run({ job_type: 'js', code: '"still here"' })
    expect(next).toMatchObject({
      status: 'completed',
      result: 'still here',
      volunteer_id: volunteerId,
    })
  })

  it('takes no new work while paused, and picks it up on resume', async () => {
    await page.click('[data-testid="pause"]')
    await page.waitForSelector('[data-testid="connection"][data-state="paused"]')
    await eventually(async () => !(await listed()).some((v) => v.id === volunteerId) || undefined)
    const created = await client.post('/api/jobs', { job_type: 'lua', code: 'return "later"' })
    expect((await client.get('/api/jobs/' + created.body.id)).body.status).toBe('pending')
    await page.click('[data-testid="pause"]')
    const resumedAs = await connectedAs(page)
    const done = (await client.get(`/api/jobs/${created.body.id}?wait=20`)).body
    expect(done).toMatchObject({ status: 'completed', result: 'later', volunteer_id: resumedAs })
    volunteerId = resumedAs
  })

  it('pauses while hidden when asked to run only while visible', async () => {
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { value, configurable: true })
        document.dispatchEvent(new Event('visibilitychange'))
      }, state)
    await page.uncheck('[data-testid="background"]')
    await setVisibility('hidden')
    await page.waitForSelector('[data-testid="connection"][data-state="hidden"]')
    await eventually(async () => !(await listed()).some((v) => v.id === volunteerId) || undefined)
    await setVisibility('visible')
    volunteerId = await connectedAs(page)
    await page.check('[data-testid="background"]')
    const done = await client.run({ job_type: 'js', code: '"back"' })
    expect(done).toMatchObject({ status: 'completed', volunteer_id: volunteerId })
  })

  it('keeps its settings across reloads', async () => {
    await page.selectOption('[data-testid="threads"]', '2')
    await eventually(
      async () => (await listed()).find((v) => v.concurrency === 2),
      20_000,
      'a volunteer with two threads',
    )
    await page.reload()
    volunteerId = await connectedAs(page)
    expect(await page.inputValue('[data-testid="threads"]')).toBe('2')
    expect((await listed()).find((v) => v.id === volunteerId)?.concurrency).toBe(2)
  })

  it('is installable: a manifest with icons, and a service worker for /volunteer/', async () => {
    const manifest = await page.request.get(`${server.url}/volunteer/manifest.webmanifest`)
    expect(manifest.headers()['content-type']).toContain('application/manifest+json')
    const body = (await manifest.json()) as {
      name: string
      start_url: string
      display: string
      icons: { src: string; sizes: string }[]
    }
    expect(body).toMatchObject({ start_url: '/volunteer/', display: 'standalone' })
    expect(body.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']))
    for (const icon of body.icons) {
      const res = await page.request.get(`${server.url}/volunteer/${icon.src}`)
      expect(res.status()).toBe(200)
      expect(res.headers()['content-type']).toBe('image/png')
    }
    const sw = await page.request.get(`${server.url}/volunteer/sw.js`)
    expect(sw.status()).toBe(200)
    expect(await sw.text()).toContain('precache')
    const scope = await page.evaluate(() =>
      navigator.serviceWorker.ready.then((registration) => registration.scope),
    )
    expect(scope).toBe(`${server.url}/volunteer/`)
  })

  it('opens offline from the precache, and reconnects when the network returns', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready)
    // The first load is not controlled yet; after a reload the service worker serves the page.
    await page.reload()
    await eventually(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
    await browser.context.setOffline(true)
    await page.reload()
    expect(await page.locator('h1').textContent()).toBe('Zerverless volunteer')
    await page.waitForSelector('[data-testid="connection"][data-state="connecting"]')
    await browser.context.setOffline(false)
    volunteerId = await connectedAs(page, 45_000)
    const done = await client.run({ job_type: 'js', code: '6 * 7' })
    expect(done).toMatchObject({ status: 'completed', result: 42, volunteer_id: volunteerId })
  }, 90_000)

  it('saves a screenshot of the running page', async () => {
    const batch = await client.post('/api/jobs/batch', {
      job_type: 'lua',
      code: 'return INPUT.n * INPUT.n',
      inputs: Array.from({ length: 40 }, (_, n) => ({ n })),
    })
    expect((await client.get(`/api/jobs/batch/${batch.body.batch_id}?wait=30`)).body.done).toBe(
      true,
    )
    await expect
      .poll(async () => Number(await page.locator('[data-testid="completed"]').textContent()))
      .toBeGreaterThanOrEqual(40)
    const file = screenshotPath('volunteer-page.png')
    await page.screenshot({ path: file, fullPage: true })
    expect(existsSync(file) && statSync(file).size).toBeGreaterThan(10_000)
  })
})
