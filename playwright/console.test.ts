/**
 * The web console in real Chromium against the real orchestrator (auth on, one internal worker):
 * sign in with a token, submit a job and watch it finish, run a batch, roll a function back, see
 * its plots drawn from real calls, a workflow's DAG, and the phone layout. Screenshots go to
 * playwright/output/console/ (git-ignored) to be looked at.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRunner, stopRunner } from '../test/helpers/runner-process'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../test/helpers/zerverless-process'
import { launchBrowser, type Browser } from './fixtures'

const SHOTS = path.resolve(import.meta.dirname, 'output/console')
const admin = `zv_admin_${randomUUID()}`
let server: ZerverlessProcess
let browser: Browser
let page: Page

/** The API as the admin, for what the console only shows (deploys, calls, workflows). */
async function asAdmin(method: string, route: string, body?: unknown) {
  const res = await fetch(server.url + route, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} }
}

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true })

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  server = await startZerverless(['--auth', 'on', '--workers', '1'], undefined, {
    ZERVERLESS_ADMIN_TOKEN: admin,
  })
  await eventually(async () => {
    const stats = await asAdmin('GET', '/api/volunteers')
    return stats.body.volunteers?.length === 1 || undefined
  }, 20_000)
  browser = await launchBrowser()
  page = browser.context.pages()[0] ?? (await browser.context.newPage())
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

describe('the console', () => {
  it('is linked from the landing page, and asks for a token there', async () => {
    await page.goto(server.url)
    await shot('00-landing.png')
    await page.getByRole('link', { name: /Console/ }).click()
    await page.waitForURL(`${server.url}/console/`)
    await page.getByLabel('API token').waitFor()
  })

  it('refuses a wrong token, and keeps a right one out of the URL', async () => {
    const token = page.getByLabel('API token')
    await token.fill('zv_wrong_token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: '401' }).waitFor()
    await shot('01-sign-in.png')
    await token.fill(admin)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor()
    expect(page.url()).not.toContain(admin)
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(admin)
    const namespace = page.getByLabel('Namespace')
    await namespace.fill('alice')
    await namespace.press('Enter')
  })

  it('submits a job and shows it finish with its result and output', async () => {
    await page.getByRole('link', { name: 'Submit' }).click()
    await page.getByLabel('Runtime').selectOption('python')
    await page.getByLabel('Code').fill('print("hello from the console")\nINPUT["n"] * 2')
    await page.getByLabel('Input (JSON, as INPUT)').fill('{"n": 21}')
    await page.getByRole('button', { name: 'Submit job' }).click()
    await page.waitForURL(/\/console\/jobs\/[\w-]+$/)
    await page
      .locator('[data-testid="job-facts"] [data-status="completed"]')
      .waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('job-result').textContent()).toContain('42')
    expect(await page.getByTestId('job-output').textContent()).toContain('hello from the console')
    expect(page.url()).not.toContain(admin)
    await shot('02-job.png')

    await page.getByRole('link', { name: 'Jobs' }).click()
    const id = (await asAdmin('GET', '/api/jobs?namespace=alice')).body.jobs[0].id as string
    await page
      .getByTestId('jobs')
      .getByRole('link', { name: id.slice(0, 8) })
      .waitFor()
    await page.getByTestId('jobs').locator('[data-status="completed"]').first().waitFor()
    await shot('03-jobs.png')
  })

  it('runs an uploaded wasm module with its input on stdin', async () => {
    await page.getByRole('link', { name: 'Submit' }).click()
    await page.getByLabel('Runtime').selectOption('wasm')
    await page
      .getByLabel('Module (a WASI command, .wasm)')
      .setInputFiles(path.resolve(import.meta.dirname, '../examples/echo.wasm'))
    await page.getByLabel('Arguments (separated by spaces)').fill('-v fast')
    await page.getByLabel('Input (JSON, on stdin)').fill('{"echoed": [1, 2]}')
    await page.getByRole('button', { name: 'Submit job' }).click()
    await page.waitForURL(/\/console\/jobs\/[\w-]+$/)
    await page
      .locator('[data-testid="job-facts"] [data-status="completed"]')
      .waitFor({ timeout: 60_000 })
    const id = page.url().split('/').at(-1)!
    const job = (await asAdmin('GET', `/api/jobs/${id}`)).body
    expect(job).toMatchObject({ job_type: 'wasm', result: { echoed: [1, 2] } })
    expect(await page.getByTestId('job-result').textContent()).toContain('echoed')
  })

  it('submits a batch and fills its progress bar', async () => {
    await page.getByRole('link', { name: 'Submit' }).click()
    await page.getByLabel('Runtime').selectOption('js')
    await page.getByLabel('Code').fill('INPUT.n * INPUT.n')
    await page.getByLabel('A batch: one JSON input per line').check()
    await page.getByLabel('Inputs (JSON lines)').fill('{"n": 1}\n{"n": 2}\n{"n": 3}\n{"n": 4}')
    await page.getByRole('button', { name: 'Submit batch' }).click()
    await page.waitForURL(/\/console\/batches\/[\w-]+$/)
    const batchId = page.url().split('/').at(-1)!
    await page
      .getByRole('progressbar', { name: `Batch ${batchId} progress` })
      .and(page.locator('[aria-valuenow="100"]'))
      .waitFor({ timeout: 60_000 })
    // The jobs in input order, each with its own result.
    await eventually(async () => {
      const cells = await page.locator('table tbody tr td:nth-child(4)').allTextContents()
      return cells.join(',') === '1,4,9,16' || undefined
    }, 20_000)
    await shot('04-batch.png')
  })

  it('rolls a function back and plots its calls', async () => {
    const handler = (version: string) =>
      `function handle(req) {\n  if (req.query.fail) throw new Error("asked to fail")\n  return { status: 200, body: "${version}" }\n}`
    expect(
      (await asAdmin('POST', '/api/deploy/alice/hello', { runtime: 'js', code: handler('v1') }))
        .status,
    ).toBe(201)
    expect(
      (await asAdmin('POST', '/api/deploy/alice/hello', { runtime: 'js', code: handler('v2') }))
        .status,
    ).toBe(201)
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server.url}/alice/hello${i % 4 === 3 ? '?fail=1' : ''}`)
      // A handler that throws answers 502 (the function failed, not the orchestrator).
      expect(res.status).toBe(i % 4 === 3 ? 502 : 200)
    }

    await page.getByRole('link', { name: 'Functions' }).click()
    await page.getByTestId('functions').getByRole('link', { name: '/alice/hello' }).click()
    await page.waitForURL(/\/console\/functions\/alice\/hello$/)
    expect(await page.getByTestId('current-version').textContent()).toContain('v2')
    // Both plots drawn on a canvas, from the twelve calls.
    await page.locator('[data-testid="plot"] canvas').nth(1).waitFor()
    const summaries = await page
      .getByTestId('plot')
      .evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''))
    expect(summaries[0]).toContain('12 calls')
    expect(summaries[1]).toContain('over 12 calls')
    expect(await page.getByTestId('invocations').locator('tr').count()).toBe(12)
    expect(await page.getByTestId('invocations').locator('td.bad').count()).toBe(3)
    await shot('05-function.png')

    await page.getByRole('button', { name: 'Roll back' }).click()
    await page.getByTestId('current-version').filter({ hasText: 'v1' }).waitFor()
    expect((await asAdmin('GET', '/api/deploy/alice/hello')).body.version).toBe(1)
    expect(await (await fetch(`${server.url}/alice/hello`)).text()).toBe('v1')
    await shot('06-rolled-back.png')
  })

  it('draws a workflow run as its DAG with each step state', async () => {
    const created = await asAdmin('POST', '/api/workflows', {
      name: 'pipeline',
      namespace: 'alice',
      steps: [
        { id: 'fetch', run: { runtime: 'js', code: '[1, 2, 3]' } },
        { id: 'double', needs: ['fetch'], run: { runtime: 'js', code: '2' } },
        { id: 'square', needs: ['fetch'], run: { runtime: 'js', code: '3' } },
        { id: 'report', needs: ['double', 'square'], run: { runtime: 'js', code: '"done"' } },
      ],
    })
    expect(created.status).toBe(201)
    expect((await asAdmin('POST', `/api/workflows/${created.body.id}/runs`, {})).status).toBe(202)
    await page.getByRole('link', { name: 'Workflows' }).click()
    await page.getByRole('link', { name: 'pipeline' }).click()
    const dag = page.getByTestId('dag')
    await dag.locator('[data-step="report"][data-status="completed"]').waitFor({ timeout: 60_000 })
    expect(await dag.locator('[data-status="completed"]').count()).toBe(4)
    await shot('07-workflow.png')
  })

  it('puts, shows and deletes a KV entry and lists the volunteers', async () => {
    await page.getByRole('link', { name: 'KV' }).click()
    await page.getByLabel('Key').fill('greeting')
    await page.getByLabel('Value (JSON)').fill('{"text": "hi"}')
    await page.getByRole('button', { name: 'Put' }).click()
    await page
      .getByTestId('kv-keys')
      .getByRole('button', { name: 'greeting', exact: true })
      .waitFor()
    expect((await asAdmin('GET', '/api/db/alice/greeting')).body.value).toEqual({ text: 'hi' })
    await page.getByRole('button', { name: 'Delete greeting' }).click()
    await page.getByText('No keys.').waitFor()

    await page.getByRole('link', { name: 'Volunteers' }).click()
    await page.getByTestId('volunteers').getByText('internal#1').waitFor()
    await shot('08-volunteers.png')
  })

  it('uploads, shows and deletes a file, and keeps secrets to their names', async () => {
    await page.getByRole('link', { name: 'Storage' }).click()
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('uploaded from the console\n'),
    })
    await page.getByLabel("Path (default: the file's name)").fill('docs/notes.txt')
    await page.getByRole('button', { name: 'Upload' }).click()
    await page
      .getByTestId('files')
      .getByRole('button', { name: 'docs/notes.txt', exact: true })
      .click()
    await page.getByText('uploaded from the console').waitFor()
    // Downloaded with the tab's token (auth is on: the token cannot ride in a link).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download docs/notes.txt' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('notes.txt')
    expect(readFileSync(await download.path(), 'utf8')).toBe('uploaded from the console\n')
    expect(await (await fetch(`${server.url}/static/alice/docs/notes.txt`)).text()).toBe(
      'uploaded from the console\n',
    )
    await shot('09-storage.png')
    await page.getByRole('button', { name: 'Delete docs/notes.txt' }).click()
    await page.getByText('No files.').waitFor()

    await page.getByRole('link', { name: 'Secrets' }).click()
    await page.getByLabel('Name', { exact: true }).fill('API_KEY')
    await page.getByLabel('Value', { exact: true }).fill('s3cret-value')
    await page.getByRole('button', { name: 'Put' }).click()
    await page.getByTestId('secrets').getByText('API_KEY').waitFor()
    expect(await page.content()).not.toContain('s3cret-value')
    await shot('10-secrets.png')

    const cron = await asAdmin('PUT', '/api/cron/alice/nightly', {
      schedule: '0 3 * * *',
      target: { function: '/alice/hello' },
    })
    expect(cron.status).toBe(201)
    // Every second, so it has runs to show, then moved to a yearly tick so they stop; a job
    // target, so a run links to its job.
    const target = { job: { job_type: 'js', code: '"tick"' } }
    const often = await asAdmin('PUT', '/api/cron/alice/often', { schedule: '* * * * * *', target })
    expect(often.status).toBe(201)
    const runsOf = async () =>
      (await asAdmin('GET', '/api/cron/alice/often')).body.runs as {
        status: string
        job_id: string
      }[]
    await eventually(async () => (await runsOf()).length >= 2 || undefined, 20_000)
    expect(
      (await asAdmin('PUT', '/api/cron/alice/often', { schedule: '0 0 1 1 *', target })).status,
    ).toBe(200)
    const runs = await eventually(async () => {
      const now = await runsOf()
      return now.every((run) => run.status === 'completed') ? now : undefined
    }, 20_000)

    await page.getByRole('link', { name: 'Cron' }).click()
    const row = page.getByRole('row').filter({ hasText: 'nightly' })
    await row.getByRole('cell').filter({ hasText: '0 3 * * *' }).waitFor()
    expect(await row.locator('time').first().getAttribute('datetime')).toBe(cron.body.next_run)
    await row.getByText('not run yet').waitFor()
    const ran = page.getByRole('row').filter({ hasText: 'often' }).getByTestId('cron-runs')
    await ran.locator('[data-status="completed"]').first().waitFor()
    await ran.getByText(`${runs.length - 1} before`).click()
    expect(await ran.locator('[data-status="completed"]').count()).toBe(runs.length)
    await shot('11-cron.png')
    await ran.getByRole('link', { name: 'its job' }).first().click()
    await page.waitForURL(`${server.url}/console/jobs/${encodeURIComponent(runs[0]!.job_id)}`)
    expect(await page.getByTestId('job-result').textContent()).toContain('tick')
  })

  it('fits a phone: no sideways scrolling of the page, the navigation wraps', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const [link, name] of [
      ['Jobs', '12-phone-jobs.png'],
      ['Functions', '13-phone-functions.png'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click()
      await page.getByRole('region').first().waitFor()
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      )
      expect(overflow).toBeLessThanOrEqual(0)
      await shot(name)
    }
    await page.goto(`${server.url}/console/functions/alice/hello`)
    await page.locator('[data-testid="plot"] canvas').first().waitFor()
    expect(
      await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      ),
    ).toBeLessThanOrEqual(0)
    await shot('14-phone-function.png')
  })
})

describe('the console with a scoped token', () => {
  it('signs in with it, shows its namespace and says what it may not see', async () => {
    const issued = await asAdmin('POST', '/api/tokens', {
      namespaces: ['alice'],
      rights: ['jobs', 'deploy'],
    })
    expect(issued.status).toBe(201)
    // A new tab has its own sessionStorage: it starts signed out.
    const tab = await browser.context.newPage()
    try {
      await tab.goto(`${server.url}/console/`)
      await tab.getByLabel('API token').fill(issued.body.token as string)
      await tab.getByRole('button', { name: 'Sign in' }).click()
      const namespace = tab.getByLabel('Namespace')
      await namespace.fill('alice')
      await namespace.press('Enter')
      await tab.getByTestId('jobs').locator('tr').first().waitFor()
      await tab.getByRole('link', { name: 'Volunteers' }).click()
      await tab.getByRole('alert').filter({ hasText: 'FORBIDDEN' }).first().waitFor()
    } finally {
      await tab.close()
    }
  })
})

describe("a native job's output files", () => {
  it('downloads one from the job page', async () => {
    const open = await startZerverless(['--workers', '0'])
    const runner = await startRunner(open.url, ['--no-sandbox'])
    const scripts = tempDir('zv-console-native-')
    try {
      const script = path.join(scripts, 'report.sh')
      writeFileSync(script, '#!/bin/bash\necho "report from the runner"\n', { mode: 0o755 })
      const post = (route: string, body: unknown) =>
        fetch(open.url + route, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((res) => res.json() as Promise<Record<string, any>>)
      const { service } = await post('/api/services/standalone/from-local', {
        service_name: 'report',
        namespace: 'default',
        peer_id: runner.peerId,
        executable_path: script,
      })
      const { job } = await post(`/api/services/standalone/${service.id}/run`, {})
      const tab = await browser.context.newPage()
      await tab.goto(`${open.url}/console/jobs/${job.id}`)
      await tab
        .locator('[data-testid="job-facts"] [data-status="completed"]')
        .waitFor({ timeout: 60_000 })
      const [download] = await Promise.all([
        tab.waitForEvent('download'),
        tab.getByTestId('job-outputs').getByRole('button', { name: 'Download stdout.txt' }).click(),
      ])
      expect(download.suggestedFilename()).toBe('stdout.txt')
      expect(readFileSync(await download.path(), 'utf8')).toBe('report from the runner\n')
      await tab.screenshot({ path: path.join(SHOTS, '15-native-outputs.png'), fullPage: true })
      await tab.close()
    } finally {
      await stopRunner(runner)
      await open.stop()
      removeDir(open.dataDir)
      removeDir(scripts)
    }
  })
})

describe('the console with auth off', () => {
  it('needs no token: a 401-free probe takes it straight to the pages', async () => {
    const open = await startZerverless(['--workers', '0'])
    try {
      const tab = await browser.context.newPage()
      await tab.goto(`${open.url}/console/`)
      await tab.getByTestId('auth-state').filter({ hasText: 'auth off' }).waitFor()
      expect(await tab.getByLabel('API token').count()).toBe(0)
      await tab.close()
    } finally {
      await open.stop()
      removeDir(open.dataDir)
    }
  })
})
