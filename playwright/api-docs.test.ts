/**
 * `/docs` in real Chromium: Swagger UI from our own build renders the orchestrator's document
 * under the page's CSP and isolation headers, with no request leaving the origin, and "Try it
 * out" calls the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ZerverlessProcess } from '../test/helpers/zerverless-process'
import { launchBrowser, screenshotPath, startOrchestrator, type Browser } from './fixtures'

let server: ZerverlessProcess
let browser: Browser

beforeAll(async () => {
  server = await startOrchestrator()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('/docs', () => {
  it('shows every tag of the document, from this origin only, without CSP violations', async () => {
    const page = await browser.context.newPage()
    const problems: string[] = []
    const origins = new Set<string>()
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text())
    })
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('request', (r) => origins.add(new URL(r.url()).origin))
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`)
    })
    const response = await page.goto(`${server.url}/docs`)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 20_000 })
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Zerverless API')
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      tags: { name: string }[]
    }
    for (const { name } of document.tags)
      await expect(page.locator(`.opblock-tag[data-tag="${name}"]`).count()).resolves.toBe(1)
    expect([...origins]).toEqual([server.url])
    expect(problems).toEqual([])
    await page.screenshot({ path: screenshotPath('api-docs.png'), fullPage: false })
    await page.close()
  })

  it('runs GET /health from "Try it out"', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/docs#/Health/getHealth`)
    const operation = page.locator('#operations-Health-getHealth')
    await operation.waitFor({ timeout: 20_000 })
    if (!(await operation.locator('.try-out__btn').isVisible()))
      await operation.locator('.opblock-summary').click()
    await operation.locator('.try-out__btn').click()
    await operation.locator('.execute').click()
    const body = operation.locator('.live-responses-table .response-col_description pre').first()
    await body.waitFor({ timeout: 20_000 })
    expect(await body.innerText()).toContain('healthy')
    await page.close()
  })
})
