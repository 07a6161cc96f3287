/**
 * `/` and `/console/` on the Node host: the real CLI serving the built console from dist/web
 * (npm run build), with the single-page app's fallback, its caching and its refusals.
 */
import { readdirSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

let server: ZerverlessProcess

beforeAll(async () => {
  server = await startZerverless(['--workers', '0'])
})

afterAll(async () => {
  await server?.stop()
  removeDir(server?.dataDir)
})

const get = (route: string, headers: Record<string, string> = {}) =>
  fetch(server.url + route, { headers, redirect: 'manual' })

function rawGet(route: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url)
    http
      .get({ hostname, port, path: route }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      .on('error', reject)
  })
}

describe('the landing page', () => {
  it('answers browsers with a page linking the console, the volunteer page and the docs', async () => {
    const res = await get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    for (const link of ['/console/', '/volunteer/', '/docs'])
      expect(html).toContain(`href="${link}"`)
  })

  it('answers scripts with the same links as JSON', async () => {
    const res = await get('/')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      name: 'zerverless',
      links: { console: '/console/', volunteer: '/volunteer/', docs: '/docs' },
    })
  })
})

describe('the console', () => {
  it('redirects /console to /console/', async () => {
    const res = await get('/console')
    expect(res.status).toBe(308)
    expect(res.headers.get('location')).toBe('/console/')
  })

  it('serves its shell, revalidated on every load, with scripts under /console/assets/', async () => {
    const res = await get('/console/')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    const html = await res.text()
    expect(html).toMatch(/src="\/console\/assets\/index-[\w-]+\.js"/)
    const again = await get('/console/', { 'if-none-match': res.headers.get('etag')! })
    expect(again.status).toBe(304)
  })

  it('answers its pages with the shell, so a bookmarked page opens', async () => {
    const shell = await (await get('/console/')).text()
    for (const page of [
      '/console/jobs',
      '/console/jobs/some-id',
      '/console/functions/alice/hello',
    ]) {
      const res = await get(page)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(shell)
    }
  })

  it('serves its hashed assets for good', async () => {
    const dir = path.resolve(import.meta.dirname, '../../dist/web/console/assets')
    const script = readdirSync(dir).find((name) => name.endsWith('.js'))!
    const res = await get(`/console/assets/${script}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(res.headers.get('cache-control')).toContain('immutable')
  })

  it('answers a missing file with a JSON 404 and a path that climbs with a 400', async () => {
    const missing = await get('/console/assets/nothing-here.js')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' })
    // fetch would resolve the dots itself; node:http sends the path as it is.
    const climbing = await rawGet('/console/%2e%2e/index.html')
    expect(climbing.status).toBe(400)
    expect(JSON.parse(climbing.body)).toMatchObject({ code: 'INVALID_PATH' })
  })

  it('is not served a second time under /volunteer/, and no user may deploy under its name', async () => {
    expect((await get('/volunteer/console/')).status).toBe(404)
    const deploy = await fetch(`${server.url}/api/deploy/console/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ runtime: 'js', code: 'function handle() { return { status: 200 } }' }),
    })
    expect(deploy.status).toBe(400)
    expect(await deploy.json()).toMatchObject({ code: 'INVALID_REQUEST', field: 'user' })
  })
})
