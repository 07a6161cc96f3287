/**
 * The OpenAPI entries of `/api/storage` and `/static` against a real orchestrator (files on disk,
 * real SQLite): uploads, rules, listings, downloads with ranges and ETags, public serving and every
 * error the entries list, each answer checked against the entry of the route that gave it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { staticRoutes, storageRoutes } from '../../edge/core/routes/storage-routes'
import { documentedCall, mintToken } from '../helpers/route-docs'
import { createTestApp, type TestApp } from '../helpers/test-app'

let app: TestApp
let small: TestApp
let locked: TestApp
const MAX_UPLOAD = 1024

const call = (on: TestApp, method: string, url: string, body?: unknown, headers = {}) =>
  documentedCall(storageRoutes, on.fetch, method, url, body, headers)
const pub = (url: string, headers = {}) =>
  documentedCall(staticRoutes, app.fetch, 'GET', url, undefined, headers)

beforeAll(async () => {
  ;[app, small, locked] = await Promise.all([
    createTestApp({ volunteers: 0 }),
    createTestApp({
      volunteers: 0,
      config: { maxUploadBytes: MAX_UPLOAD, limits: { maxStorageBytes: 2 * MAX_UPLOAD } },
    }),
    createTestApp({ volunteers: 0, auth: {} }),
  ])
})

afterAll(async () => {
  await Promise.all([app?.close(), small?.close(), locked?.close()])
})

describe('storage as documented', () => {
  it('stores, lists, serves and deletes files and rules with the documented shapes', async () => {
    const put = await call(app, 'PUT', '/api/storage/docs/site/index.html', '<h1>hi</h1>')
    expect(put).toMatchObject({ status: 201, body: { path: 'site/index.html', size: 11 } })
    expect(
      (await call(app, 'PUT', '/api/storage/docs/notes.txt?visibility=private', 'n')).status,
    ).toBe(201)
    expect((await call(app, 'PUT', '/api/storage/docs/drafts/?visibility=private')).status).toBe(
      200,
    )
    const page = await call(app, 'GET', '/api/storage/docs?limit=1')
    expect(page).toMatchObject({
      status: 200,
      body: { count: 1, private: ['notes.txt'], cursor: 'notes.txt' },
    })
    const rest = await call(
      app,
      'GET',
      `/api/storage/docs?cursor=${encodeURIComponent((page.body as { cursor: string }).cursor)}`,
    )
    expect(rest).toMatchObject({ status: 200, body: { files: ['site/index.html'], cursor: null } })

    const url = '/api/storage/docs/site/index.html'
    const whole = await app.fetch(url)
    const etag = whole.headers.get('etag') as string
    expect(await call(app, 'GET', url)).toMatchObject({ status: 200, body: '<h1>hi</h1>' })
    expect(await call(app, 'GET', url, undefined, { range: 'bytes=0-3' })).toMatchObject({
      status: 206,
      body: '<h1>',
    })
    expect((await call(app, 'GET', url, undefined, { 'if-none-match': etag })).status).toBe(304)
    expect((await call(app, 'GET', url, undefined, { range: 'bytes=99-' })).status).toBe(416)

    expect(await pub('/static/docs/site/')).toMatchObject({ status: 200, body: '<h1>hi</h1>' })
    expect((await pub('/static/docs/site')).status).toBe(301)
    expect((await pub('/static/docs/site/index.html', { range: 'bytes=4-' })).status).toBe(206)
    expect((await pub('/static/docs/site/index.html', { 'if-none-match': etag })).status).toBe(304)
    expect((await pub('/static/docs/site/index.html', { range: 'bytes=50-' })).status).toBe(416)
    expect((await pub('/static/docs/notes.txt')).status).toBe(404)
    expect((await pub('/static/docs')).status).toBe(404)
    expect((await call(app, 'PUT', '/api/storage/docs/index.html', 'root')).status).toBe(201)
    expect(await pub('/static/docs')).toMatchObject({ status: 200, body: 'root' })

    expect((await call(app, 'DELETE', '/api/storage/docs/drafts/')).status).toBe(204)
    expect((await call(app, 'DELETE', '/api/storage/docs/notes.txt')).status).toBe(204)
  })

  it('gives the documented errors for bad input', async () => {
    expect((await call(app, 'GET', '/api/storage/docs?limit=0')).status).toBe(400)
    expect((await call(app, 'GET', '/api/storage/-bad')).status).toBe(400)
    expect((await call(app, 'PUT', '/api/storage/docs/a.txt?visibility=secret', 'x')).status).toBe(
      400,
    )
    expect((await call(app, 'PUT', '/api/storage/docs/dir/', 'x')).status).toBe(400)
    expect((await call(app, 'PUT', '/api/storage/docs/dir/?visibility=inherit')).status).toBe(400)
    expect((await call(app, 'GET', '/api/storage/docs/a%2Fb')).status).toBe(400)
    expect((await call(app, 'GET', '/api/storage/docs/missing.txt')).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/storage/docs/missing.txt')).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/storage/docs/nodir/')).status).toBe(404)
    expect((await call(app, 'PUT', '/api/storage/docs/file', 'x')).status).toBe(201)
    expect((await call(app, 'PUT', '/api/storage/docs/file/inside', 'x')).status).toBe(409)
    expect((await pub('/static/docs/a%2Fb')).status).toBe(400)
  })

  it('gives the documented 413 and 429 at the upload and quota limits', async () => {
    const big = new Uint8Array(MAX_UPLOAD + 1)
    expect((await call(small, 'PUT', '/api/storage/docs/big.bin', big)).status).toBe(413)
    const full = new Uint8Array(MAX_UPLOAD)
    expect((await call(small, 'PUT', '/api/storage/docs/one.bin', full)).status).toBe(201)
    expect((await call(small, 'PUT', '/api/storage/docs/two.bin', full)).status).toBe(201)
    expect((await call(small, 'PUT', '/api/storage/docs/three.bin', full)).status).toBe(429)
  })

  it('gives the documented 401 and 403 when auth is on', async () => {
    expect((await call(locked, 'GET', '/api/storage/docs')).status).toBe(401)
    const other = await mintToken(locked.fetch, locked.adminToken!, ['other'], ['storage'])
    const as = { authorization: `Bearer ${other}` }
    expect((await call(locked, 'GET', '/api/storage/docs', undefined, as)).status).toBe(403)
    expect((await call(locked, 'PUT', '/api/storage/docs/a.txt', 'x', as)).status).toBe(403)
    expect((await call(locked, 'GET', '/api/storage/docs/a.txt', undefined, as)).status).toBe(403)
    expect((await call(locked, 'DELETE', '/api/storage/docs/a.txt', undefined, as)).status).toBe(
      403,
    )
  })
})
