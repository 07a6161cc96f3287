/** The seed's database and storage APIs, with their limits and every error, against the real CLI. */
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from './helpers/api'
import {
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

let server: ZerverlessProcess
let client: ReturnType<typeof api>
const outside = tempDir('zv-outside-')

beforeAll(async () => {
  server = await startZerverless(['--workers', '0', '--max-upload-bytes', String(4 * 1024 * 1024)])
  client = api(server.url)
})

afterAll(async () => {
  await server.stop()
  removeDir(server.dataDir)
  removeDir(outside)
})

/** A request exactly as written, bypassing fetch's URL normalisation. */
function raw(method: string, target: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      )
    })
    let data = ''
    socket.on('data', (d) => (data += d.toString()))
    socket.on('end', () =>
      resolve({
        status: Number(data.split(' ')[1]),
        body: data.slice(data.indexOf('\r\n\r\n') + 4),
      }),
    )
    socket.on('error', reject)
  })
}

describe('database', () => {
  it('stores, reads, lists and deletes as the seed README shows', async () => {
    expect(
      await client.post('/api/db/alice/mykey', 'x').then(() => client.get('/api/db/alice/mykey')),
    ).toMatchObject({ status: 404 })
    const put = await fetch(`${server.url}/api/db/alice/mykey`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { name: 'Alice', count: 42 } }),
    })
    expect(put.status).toBe(200)
    expect(await client.get('/api/db/alice/mykey')).toMatchObject({
      status: 200,
      body: { key: 'mykey', value: { name: 'Alice', count: 42 }, exists: true },
    })
    await fetch(`${server.url}/api/db/alice/other`, {
      method: 'PUT',
      body: JSON.stringify({ value: 1 }),
    })
    expect((await client.get('/api/db/alice/?prefix=my')).body).toMatchObject({
      keys: ['mykey'],
      count: 1,
    })
    expect((await client.delete('/api/db/alice/mykey')).status).toBe(204)
    expect(await client.get('/api/db/alice/mykey')).toMatchObject({
      status: 404,
      body: { key: 'mykey', value: null, exists: false, code: 'KEY_NOT_FOUND' },
    })
    expect((await client.delete('/api/db/alice/mykey')).status).toBe(404)
  })

  it('keeps namespaces apart', async () => {
    await fetch(`${server.url}/api/db/bob/secret`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'bob only' }),
    })
    expect((await client.get('/api/db/carol/secret')).status).toBe(404)
    expect((await client.get('/api/db/carol/')).body.keys).toEqual([])
  })

  it('pages through keys with limit and cursor', async () => {
    for (let i = 0; i < 5; i++)
      await fetch(`${server.url}/api/db/pager/k${i}`, {
        method: 'PUT',
        body: JSON.stringify({ value: i }),
      })
    const first = (await client.get('/api/db/pager/?limit=2')).body
    expect(first).toMatchObject({ keys: ['k0', 'k1'], cursor: 'k1' })
    const second = (await client.get(`/api/db/pager/?limit=2&cursor=${first.cursor}`)).body
    expect(second).toMatchObject({ keys: ['k2', 'k3'], cursor: 'k3' })
    expect((await client.get('/api/db/pager/?limit=2&cursor=k3')).body).toMatchObject({
      keys: ['k4'],
      cursor: null,
    })
  })

  it('forgets a key after its ttl', async () => {
    await fetch(`${server.url}/api/db/alice/brief`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'soon gone', ttl: 0.3 }),
    })
    expect((await client.get('/api/db/alice/brief')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 400))
    expect((await client.get('/api/db/alice/brief')).status).toBe(404)
  })

  it('refuses bad keys, bodies and sizes with clear errors', async () => {
    const put = (target: string, body: string) =>
      fetch(`${server.url}${target}`, { method: 'PUT', body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }))
    expect(await put('/api/db/alice/k', 'not json')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    })
    expect(await put('/api/db/alice/k', '{"value": 1, "colour": "red"}')).toMatchObject({
      status: 400,
      body: { field: 'colour' },
    })
    expect(await put('/api/db/alice/k', '{"value": 1, "ttl": -5}')).toMatchObject({
      status: 400,
      body: { field: 'ttl' },
    })
    expect(await put(`/api/db/alice/${'k'.repeat(600)}`, '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'key' },
    })
    expect(await put('/api/db/alice/a%2Fb', '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'key' },
    })
    expect(await put('/api/db/alice/a/b', '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'key' },
    })
    expect(await put('/api/db/bad..ns/k', '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'namespace' },
    })
    const big = JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) })
    const tooBig = await fetch(`${server.url}/api/db/alice/big`, { method: 'PUT', body: big })
    expect(tooBig.status).toBe(413)
  })
})

describe('storage', () => {
  const put = (ns: string, file: string, body: BodyInit) =>
    fetch(`${server.url}/api/storage/${ns}/${file}`, { method: 'PUT', body })

  it('stores, serves, lists and deletes files as the seed README shows', async () => {
    const res = await put('alice', 'index.html', '<h1>hi</h1>')
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({
      namespace: 'alice',
      path: 'index.html',
      size: 11,
      content_type: 'text/html; charset=utf-8',
    })
    const got = await fetch(`${server.url}/api/storage/alice/index.html`)
    expect(got.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await got.text()).toBe('<h1>hi</h1>')
    const pub = await fetch(`${server.url}/static/alice/index.html`)
    expect(await pub.text()).toBe('<h1>hi</h1>')
    expect(pub.headers.get('content-security-policy')).toContain('sandbox')
    await put('alice', 'static/css/style.css', 'body{}')
    await put('alice', 'static/app.js', 'x')
    expect((await client.get('/api/storage/alice/?prefix=static/')).body).toMatchObject({
      files: ['static/app.js', 'static/css/style.css'],
      count: 2,
    })
    expect((await client.delete('/api/storage/alice/index.html')).status).toBe(204)
    expect((await fetch(`${server.url}/api/storage/alice/index.html`)).status).toBe(404)
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
      expect(
        (await fetch(`${server.url}/api/storage/types/${file}`)).headers.get('content-type'),
      ).toBe(type)
    }
  })

  it('answers If-None-Match with 304 and Range with 206', async () => {
    await put('alice', 'data.txt', '0123456789')
    const first = await fetch(`${server.url}/static/alice/data.txt`)
    const etag = first.headers.get('etag') as string
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/)
    expect(
      (await fetch(`${server.url}/static/alice/data.txt`, { headers: { 'if-none-match': etag } }))
        .status,
    ).toBe(304)
    const part = await fetch(`${server.url}/static/alice/data.txt`, {
      headers: { range: 'bytes=2-5' },
    })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 2-5/10')
    expect(await part.text()).toBe('2345')
    expect(
      await (
        await fetch(`${server.url}/static/alice/data.txt`, { headers: { range: 'bytes=-3' } })
      ).text(),
    ).toBe('789')
    expect(
      (await fetch(`${server.url}/static/alice/data.txt`, { headers: { range: 'bytes=20-30' } }))
        .status,
    ).toBe(416)
  })

  it('serves index.html for directories', async () => {
    await put('site', 'docs/index.html', 'docs home')
    await put('site', 'index.html', 'home')
    expect(await (await fetch(`${server.url}/static/site/`)).text()).toBe('home')
    expect(await (await fetch(`${server.url}/static/site/docs/`)).text()).toBe('docs home')
    const redirect = await fetch(`${server.url}/static/site/docs`, { redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toMatch(/\/static\/site\/docs\/$/)
  })

  it('streams a large upload to disk and refuses one over the limit, leaving nothing behind', async () => {
    const okay = new Uint8Array(3 * 1024 * 1024).fill(7)
    expect((await put('big', 'ok.bin', okay)).status).toBe(201)
    expect(
      Number(
        (await fetch(`${server.url}/api/storage/big/ok.bin`, { method: 'HEAD' })).headers.get(
          'content-length',
        ),
      ),
    ).toBe(okay.length)
    const tooBig = await put('big', 'huge.bin', new Uint8Array(5 * 1024 * 1024))
    expect(tooBig.status).toBe(413)
    expect((await fetch(`${server.url}/api/storage/big/huge.bin`)).status).toBe(404)
    expect(existsSync(path.join(server.dataDir, 'storage', 'big', 'huge.bin'))).toBe(false)
    expect(readdirSync(path.join(server.dataDir, 'storage', '.uploads'))).toEqual([])
  })

  it('leaves no partial file when an upload is cut off', async () => {
    const { port } = new URL(server.url)
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'PUT /api/storage/cut/part.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n',
        )
        socket.write(Buffer.alloc(1000, 1))
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 200)
      })
    })
    await new Promise((r) => setTimeout(r, 300))
    expect((await fetch(`${server.url}/api/storage/cut/part.bin`)).status).toBe(404)
    expect(existsSync(path.join(server.dataDir, 'storage', 'cut', 'part.bin'))).toBe(false)
  })

  it('refuses every path that would leave the namespace, with 400', async () => {
    const attempts = [
      '/api/storage/alice/../bob/x',
      '/api/storage/alice/%2e%2e/bob/x',
      '/api/storage/alice/%2e%2e%2fbob%2fx',
      '/api/storage/alice/a%5c..%5cb',
      '/api/storage/alice/a%00b',
      '/api/storage/alice//etc/passwd',
      '/static/alice/../../etc/passwd',
      '/static/alice/%2e%2e/%2e%2e/etc/passwd',
    ]
    for (const target of attempts) {
      for (const method of ['GET', 'PUT']) {
        const res = await raw(method, target)
        expect(res.status, `${method} ${target} → ${res.body}`).toBe(400)
      }
    }
  })

  it('will not follow a symlink out of the namespace', async () => {
    writeFileSync(path.join(outside, 'secret.txt'), 'outside the sandbox')
    await put('linked', 'real.txt', 'in')
    const dir = path.join(server.dataDir, 'storage', 'linked')
    mkdirSync(dir, { recursive: true })
    symlinkSync(outside, path.join(dir, 'escape'))
    // Even with the index claiming a file there (as if the disk had been tampered with), the store
    // refuses to go through the link.
    const db = new Database(path.join(server.dataDir, 'zerverless.db'))
    db.prepare(
      "INSERT INTO files (ns, path, size, etag, content_type, updated_at) VALUES ('linked', 'escape/secret.txt', 19, 'x', 'text/plain', 0)",
    ).run()
    db.close()
    const res = await fetch(`${server.url}/api/storage/linked/escape/secret.txt`)
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

  it('runs the seed README curl commands as written', () => {
    const file = path.join(outside, 'index.html')
    writeFileSync(file, '<p>seed</p>')
    const curl = (args: string[]) => {
      const run = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...args], {
        encoding: 'utf8',
      })
      // On a failure, say why: curl's own error and what the server printed.
      if (run.stdout === '000') console.error(run.stderr, server.output().slice(-2000))
      return run.stdout
    }
    expect(
      curl([
        '-X',
        'PUT',
        `${server.url}/api/storage/alice/index.html`,
        '--data-binary',
        `@${file}`,
      ]),
    ).toBe('201')
    expect(curl([`${server.url}/static/alice/index.html`])).toBe('200')
  })
})
