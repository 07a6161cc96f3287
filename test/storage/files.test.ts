/**
 * The seed's storage API, with its limits and every error; in process, no volunteers, files in a
 * temporary directory. What only a real HTTP server shows (raw paths, cut-off uploads, curl) is in
 * http-paths.test.ts.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient
const outside = tempDir('zv-outside-')
const dataDir = () => server.dataDir as string

beforeAll(async () => {
  server = await createTestApp({
    volunteers: 0,
    config: { maxUploadBytes: 4 * 1024 * 1024 },
  })
  client = server.api
})

afterAll(async () => {
  await server.close()
  removeDir(outside)
})

describe('storage', () => {
  const put = (ns: string, file: string, body: BodyInit) =>
    server.fetch(`/api/storage/${ns}/${file}`, { method: 'PUT', body })

  it('stores, serves, lists and deletes files as the seed README shows', async () => {
    const res = await put('alice', 'index.html', '<h1>hi</h1>')
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({
      namespace: 'alice',
      path: 'index.html',
      size: 11,
      content_type: 'text/html; charset=utf-8',
    })
    const got = await server.fetch(`/api/storage/alice/index.html`)
    expect(got.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await got.text()).toBe('<h1>hi</h1>')
    const pub = await server.fetch(`/static/alice/index.html`)
    expect(await pub.text()).toBe('<h1>hi</h1>')
    expect(pub.headers.get('content-security-policy')).toContain('sandbox')
    await put('alice', 'static/css/style.css', 'body{}')
    await put('alice', 'static/app.js', 'x')
    expect((await client.get('/api/storage/alice/?prefix=static/')).body).toMatchObject({
      files: ['static/app.js', 'static/css/style.css'],
      count: 2,
    })
    expect((await client.delete('/api/storage/alice/index.html')).status).toBe(204)
    expect((await server.fetch(`/api/storage/alice/index.html`)).status).toBe(404)
    expect((await client.delete('/api/storage/alice/index.html')).status).toBe(404)
  })

  it('detects content types with a MIME table', async () => {
    for (const [file, type] of [
      ['a.json', 'application/json; charset=utf-8'],
      ['a.png', 'image/png'],
      ['a.wasm', 'application/wasm'],
      ['noext', 'application/octet-stream'],
    ]) {
      await put('types', file as string, '1')
      expect((await server.fetch(`/api/storage/types/${file}`)).headers.get('content-type')).toBe(
        type,
      )
    }
  })

  it('answers If-None-Match with 304 and Range with 206', async () => {
    await put('alice', 'data.txt', '0123456789')
    const first = await server.fetch(`/static/alice/data.txt`)
    const etag = first.headers.get('etag') as string
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/)
    expect(
      (await server.fetch(`/static/alice/data.txt`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304)
    const part = await server.fetch(`/static/alice/data.txt`, {
      headers: { range: 'bytes=2-5' },
    })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 2-5/10')
    expect(await part.text()).toBe('2345')
    expect(
      await (
        await server.fetch(`/static/alice/data.txt`, { headers: { range: 'bytes=-3' } })
      ).text(),
    ).toBe('789')
    expect(
      (await server.fetch(`/static/alice/data.txt`, { headers: { range: 'bytes=20-30' } })).status,
    ).toBe(416)
  })

  it('serves index.html for directories', async () => {
    await put('site', 'docs/index.html', 'docs home')
    await put('site', 'index.html', 'home')
    expect(await (await server.fetch(`/static/site/`)).text()).toBe('home')
    expect(await (await server.fetch(`/static/site/docs/`)).text()).toBe('docs home')
    const redirect = await server.fetch(`/static/site/docs`, { redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toMatch(/\/static\/site\/docs\/$/)
  })

  it('streams a large upload to disk and refuses one over the limit, leaving nothing behind', async () => {
    const okay = new Uint8Array(3 * 1024 * 1024).fill(7)
    expect((await put('big', 'ok.bin', okay)).status).toBe(201)
    expect(
      Number(
        (await server.fetch(`/api/storage/big/ok.bin`, { method: 'HEAD' })).headers.get(
          'content-length',
        ),
      ),
    ).toBe(okay.length)
    const tooBig = await put('big', 'huge.bin', new Uint8Array(5 * 1024 * 1024))
    expect(tooBig.status).toBe(413)
    expect((await server.fetch(`/api/storage/big/huge.bin`)).status).toBe(404)
    expect(existsSync(path.join(dataDir(), 'storage', 'big', 'huge.bin'))).toBe(false)
    expect(readdirSync(path.join(dataDir(), 'storage', '.uploads'))).toEqual([])
  })

  it('will not follow a symlink out of the namespace', async () => {
    writeFileSync(path.join(outside, 'secret.txt'), 'outside the sandbox')
    await put('linked', 'real.txt', 'in')
    const dir = path.join(dataDir(), 'storage', 'linked')
    mkdirSync(dir, { recursive: true })
    symlinkSync(outside, path.join(dir, 'escape'))
    // Even with the index claiming a file there (as if the disk had been tampered with), the store
    // refuses to go through the link.
    server.sql.run(
      "INSERT INTO files (ns, path, size, etag, content_type, updated_at) VALUES ('linked', 'escape/secret.txt', 19, 'x', 'text/plain', 0)",
    )
    const res = await server.fetch(`/api/storage/linked/escape/secret.txt`)
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('outside the sandbox')
    const write = await put('linked', 'escape/planted.txt', 'x')
    expect(write.status).toBe(400)
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false)
  })

  it('refuses a file where a directory is, and the reverse', async () => {
    await put('shape', 'a/b.txt', '1')
    expect((await put('shape', 'a', '2')).status).toBe(409)
    await put('shape', 'file', '1')
    expect((await put('shape', 'file/child', '2')).status).toBe(409)
  })
})
