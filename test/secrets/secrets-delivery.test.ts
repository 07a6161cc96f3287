/**
 * Secrets on a real server with its internal workers (auth off): written sealed, listed without
 * values, read by js, lua and python guests as `SECRETS.NAME`, redacted from what comes back, kept
 * out of the SQLite file, and refused or failed clearly when missing or unreadable.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { toBase64, wasmFixture } from '../helpers/wasm-fixtures'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

const VALUE = 'sk-live-7f3a9c21e4b8d06'
const reversed = (text: string) => text.split('').reverse().join('')

describe('secrets reach internal workers and never come back', () => {
  let server: ZerverlessProcess
  let client: ApiClient

  beforeAll(async () => {
    server = await startZerverless(['--workers', '1'])
    client = api(server.url)
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('creates (201), replaces (200), lists and shows a secret without its value', async () => {
    const created = await client.put('/api/secrets/alice/API_KEY', { value: 'first' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ namespace: 'alice', name: 'API_KEY' })
    const replaced = await client.put('/api/secrets/alice/API_KEY', { value: VALUE })
    expect(replaced.status).toBe(200)
    expect(replaced.body.created_at).toBe(created.body.created_at)
    const listed = await client.get('/api/secrets/alice')
    expect(listed.status).toBe(200)
    expect(listed.body.secrets).toEqual([
      expect.objectContaining({ name: 'API_KEY', updated_at: replaced.body.updated_at }),
    ])
    const one = await client.get('/api/secrets/alice/API_KEY')
    expect(one.body).toEqual(replaced.body)
    for (const body of [created.body, replaced.body, listed.body, one.body])
      expect(JSON.stringify(body)).not.toMatch(/first|sk-live/)
  })

  it('refuses bad names, non-string values and values over 64 KiB, naming the field', async () => {
    const badName = await client.put('/api/secrets/alice/9LIVES', { value: 'x' })
    expect(badName).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST', field: 'name' } })
    const notText = await client.put('/api/secrets/alice/OK', { value: 42 })
    expect(notText).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } })
    const huge = await client.put('/api/secrets/alice/BIG', { value: 'x'.repeat(64 * 1024 + 1) })
    expect(huge).toMatchObject({ status: 413, body: { code: 'VALUE_TOO_LARGE' } })
    for (const [method, route, body] of [
      ['GET', '/api/secrets/alice/%E0%A4%A', undefined],
      ['PUT', '/api/secrets/bad%20ns/NAME', '{"value": "x"}'],
      ['PUT', '/api/secrets/alice/NAME', '{"value": '],
      ['PUT', '/api/secrets/alice/NAME', '{"value": "x", "extra": 1}'],
      ['PUT', '/api/secrets/alice/NAME/deeper', '{"value": "x"}'],
      ['GET', '/api/secrets/-alice', undefined],
    ] as const) {
      const res = await fetch(server.url + route, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined && { body }),
      })
      expect(res.status, `${method} ${route}`).toBe(400)
      expect(await res.json()).toMatchObject({
        error: expect.any(String),
        code: expect.any(String),
      })
    }
    const missing = await client.get('/api/secrets/alice/NOPE')
    expect(missing).toMatchObject({ status: 404, body: { code: 'SECRET_NOT_FOUND' } })
  })

  it('gives a js guest SECRETS, and redacts the value from result and output', async () => {
    const job = await client.run({
      job_type: 'js',
      namespace: 'alice',
      secrets: ['API_KEY'],
      code: `console.log("using", SECRETS.API_KEY)
        ;({ echoed: SECRETS.API_KEY, reversed: SECRETS.API_KEY.split("").reverse().join(""),
           frozen: Object.isFrozen(SECRETS), names: Object.keys(SECRETS) })`,
    })
    expect(job).toMatchObject({
      status: 'completed',
      secrets: ['API_KEY'],
      result: {
        echoed: '[secret API_KEY]',
        reversed: reversed(VALUE),
        frozen: true,
        names: ['API_KEY'],
      },
      output: 'using [secret API_KEY]\n',
    })
    const again = await client.get(`/api/jobs/${job.id}`)
    expect(JSON.stringify(again.body)).not.toContain(VALUE)
  })

  it('gives a lua guest a read-only SECRETS table', async () => {
    const job = await client.run({
      job_type: 'lua',
      namespace: 'alice',
      secrets: ['API_KEY'],
      code: `print(SECRETS.API_KEY)
        local wrote = pcall(function() SECRETS.API_KEY = "x" end)
        return { echoed = SECRETS.API_KEY, reversed = string.reverse(SECRETS.API_KEY), wrote = wrote }`,
    })
    expect(job).toMatchObject({
      status: 'completed',
      result: { echoed: '[secret API_KEY]', reversed: reversed(VALUE), wrote: false },
      output: '[secret API_KEY]\n',
    })
  })

  it('gives a python guest SECRETS, and redacts its error and traceback', async () => {
    const job = await client.run(
      {
        job_type: 'python',
        namespace: 'alice',
        secrets: ['API_KEY'],
        code: `print(SECRETS['API_KEY'][::-1])
try:
    SECRETS['API_KEY'] = 'x'
except TypeError:
    print('read-only')
raise ValueError('bad key ' + SECRETS['API_KEY'])`,
      },
      60,
    )
    expect(job.status).toBe('failed')
    expect(job.output).toBe(`${reversed(VALUE)}\nread-only\n`)
    expect(job.error.message).toContain('bad key [secret API_KEY]')
    expect(JSON.stringify(job)).not.toContain(VALUE)
  })

  it('gives a wasm command its secrets as environment variables, not shown as its env', async () => {
    const job = await client.run({
      job_type: 'wasm',
      namespace: 'alice',
      wasm_base64: toBase64(await wasmFixture('args')),
      env: { LEVEL: '3' },
      secrets: ['API_KEY'],
    })
    expect(job.status, JSON.stringify(job)).toBe('completed')
    expect(job.env).toEqual({ LEVEL: '3' })
    expect(job.output.split('\0')).toEqual(
      expect.arrayContaining(['LEVEL=3', 'API_KEY=[secret API_KEY]']),
    )
  })

  it('gives work that declares none an empty SECRETS', async () => {
    const js = await client.run({
      job_type: 'js',
      namespace: 'alice',
      code: 'Object.keys(SECRETS)',
    })
    expect(js).toMatchObject({ status: 'completed', result: [] })
    const lua = await client.run({
      job_type: 'lua',
      namespace: 'alice',
      code: 'return next(SECRETS) == nil',
    })
    expect(lua).toMatchObject({ status: 'completed', result: true })
  })

  it('refuses unknown names with 400 SECRET_NOT_FOUND naming them, and bad declarations', async () => {
    const unknown = await client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '1',
      secrets: ['API_KEY', 'OTHER', 'THIRD'],
    })
    expect(unknown).toMatchObject({
      status: 400,
      body: { code: 'SECRET_NOT_FOUND', field: 'secrets', missing: ['OTHER', 'THIRD'] },
    })
    // Another namespace's secret is not this one's.
    const elsewhere = await client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'bob',
      code: '1',
      secrets: ['API_KEY'],
    })
    expect(elsewhere).toMatchObject({ status: 400, body: { code: 'SECRET_NOT_FOUND' } })
    const batch = await client.post('/api/jobs/batch', {
      job_type: 'js',
      namespace: 'alice',
      code: '1',
      secrets: ['MISSING'],
      inputs: [{}],
    })
    expect(batch).toMatchObject({ status: 400, body: { code: 'SECRET_NOT_FOUND' } })
    const redundant = await client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '1',
      secrets: ['API_KEY'],
      redundancy: 2,
    })
    expect(redundant).toMatchObject({ status: 400, body: { field: 'secrets' } })
    const badName = await client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '1',
      secrets: ['no-dashes'],
    })
    expect(badName).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } })
  })

  it('delivers to every job of a batch', async () => {
    const batch = await client.post('/api/jobs/batch', {
      job_type: 'js',
      namespace: 'alice',
      code: 'SECRETS.API_KEY.length + INPUT.n',
      secrets: ['API_KEY'],
      inputs: [{ n: 1 }, { n: 2 }],
    })
    expect(batch.status).toBe(201)
    const results = []
    for (const id of batch.body.job_ids)
      results.push((await client.get(`/api/jobs/${id}?wait=20`)).body.result)
    expect(results).toEqual([VALUE.length + 1, VALUE.length + 2])
  })

  it('sends a function its secrets on every call, cold, and redacts its response and logs', async () => {
    const refused = await client.post('/api/deploy/alice/unknown', {
      runtime: 'js',
      code: 'function handle() { return { body: "x" } }',
      secrets: ['NOPE'],
    })
    expect(refused).toMatchObject({
      status: 400,
      body: { code: 'SECRET_NOT_FOUND', missing: ['NOPE'] },
    })
    const deployed = await client.post('/api/deploy/alice/signed', {
      runtime: 'js',
      code: `function handle(req) {
        console.log("signing with", SECRETS.API_KEY)
        return { body: { reversed: SECRETS.API_KEY.split("").reverse().join(""), echo: SECRETS.API_KEY } }
      }`,
      secrets: ['API_KEY'],
    })
    expect(deployed.status).toBe(201)
    expect(deployed.body.secrets).toEqual(['API_KEY'])
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${server.url}/alice/signed`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ reversed: reversed(VALUE), echo: '[secret API_KEY]' })
    }
    const logs = await client.get('/api/deploy/alice/signed/logs')
    expect(JSON.stringify(logs.body.lines)).toContain('signing with [secret API_KEY]')
    expect(JSON.stringify(logs.body)).not.toContain(VALUE)
    // A secret deleted after the deploy fails the call clearly, and the server goes on.
    await client.put('/api/secrets/alice/SHORT_LIVED', { value: 'short-lived-value' })
    await client.post('/api/deploy/alice/fragile', {
      runtime: 'python',
      code: 'def handle(req):\n    return {"body": len(SECRETS["SHORT_LIVED"])}',
      secrets: ['SHORT_LIVED'],
    })
    expect(await (await fetch(`${server.url}/alice/fragile`)).json()).toBe(17)
    await client.delete('/api/secrets/alice/SHORT_LIVED')
    const broken = await fetch(`${server.url}/alice/fragile`)
    expect(broken.status).toBe(502)
    expect(await broken.json()).toMatchObject({ code: 'SECRET_NOT_FOUND' })
  })

  it('keeps values out of the SQLite files on disk', async () => {
    await client.put('/api/secrets/alice/DISK_CHECK', { value: 'only-sealed-on-disk-1234' })
    const files = readdirSync(server.dataDir).filter((f) => f.startsWith('zerverless.db'))
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) {
      const bytes = readFileSync(path.join(server.dataDir, file))
      expect(bytes.includes('only-sealed-on-disk-1234'), file).toBe(false)
      expect(bytes.includes(VALUE), file).toBe(false)
    }
    const listed = (await client.get('/api/secrets/alice')).body.secrets.map((s: any) => s.name)
    expect(listed).toEqual(['API_KEY', 'DISK_CHECK'])
  })

  it('deletes (204), then 404; work declaring it is refused', async () => {
    expect((await client.delete('/api/secrets/alice/DISK_CHECK')).status).toBe(204)
    expect((await client.delete('/api/secrets/alice/DISK_CHECK')).status).toBe(404)
    const refused = await client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '1',
      secrets: ['DISK_CHECK'],
    })
    expect(refused.body).toMatchObject({ code: 'SECRET_NOT_FOUND', missing: ['DISK_CHECK'] })
  })
})

describe('a different secrets key', () => {
  it('cannot open values sealed with the old one: the job fails clearly, the server stays up', async () => {
    const key = (byte: string) => byte.repeat(64)
    const first = await startZerverless(['--workers', '1', '--secrets-key', key('a')])
    const dataDir = first.dataDir
    try {
      const client = api(first.url)
      expect((await client.put('/api/secrets/alice/TOKEN', { value: VALUE })).status).toBe(201)
      expect(
        await client.run({
          job_type: 'js',
          namespace: 'alice',
          secrets: ['TOKEN'],
          code: 'SECRETS.TOKEN.length',
        }),
      ).toMatchObject({ result: VALUE.length })
    } finally {
      await first.stop()
    }
    const second = await startZerverless(['--workers', '1', '--secrets-key', key('b')], dataDir)
    try {
      const client = api(second.url)
      expect((await client.get('/api/secrets/alice')).body.secrets).toMatchObject([
        { name: 'TOKEN' },
      ])
      const job = await client.run({
        job_type: 'js',
        namespace: 'alice',
        secrets: ['TOKEN'],
        code: 'SECRETS.TOKEN',
      })
      expect(job).toMatchObject({ status: 'failed', error: { code: 'SECRETS_UNAVAILABLE' } })
      expect(job.error.message).toMatch(/TOKEN.*secrets key/)
      // Setting it again under the new key mends it.
      expect((await client.put('/api/secrets/alice/TOKEN', { value: VALUE })).status).toBe(200)
      const mended = await client.run({
        job_type: 'js',
        namespace: 'alice',
        secrets: ['TOKEN'],
        code: 'SECRETS.TOKEN.length',
      })
      expect(mended).toMatchObject({ status: 'completed', result: VALUE.length })
    } finally {
      await second.stop()
      removeDir(dataDir)
    }
  })
})
