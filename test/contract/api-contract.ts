/**
 * The API contract, written once and run against every host: the Node server and the Worker under
 * workerd. Each host is started for real with a real Node worker (`zerverless --worker`) connected
 * over WebSocket; the tests only speak HTTP and read what comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { rawRequest } from '../helpers/raw-http'
import { eventually } from '../helpers/zerverless-process'

export interface ContractHost {
  url: string
  /** What `/info` says the host is. */
  host: 'node' | 'workers'
  stop(): Promise<void>
}

export function describeContract(name: string, start: () => Promise<ContractHost>): void {
  describe(`the API contract on ${name}`, () => {
    let target: ContractHost
    let client: ReturnType<typeof api>
    const call = (path: string, init?: RequestInit) => fetch(`${target.url}${path}`, init)
    const deploy = async (at: string, body: Record<string, unknown>) => {
      const res = await client.post(`/api/deploy/${at}`, body)
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body
    }

    beforeAll(async () => {
      target = await start()
      client = api(target.url)
      // A worker is connected and has said hello before the first test.
      await eventually(
        async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
        30_000,
      )
    }, 120_000)

    afterAll(async () => {
      await target?.stop()
    })

    describe('health', () => {
      it('answers /health, /info with its host, and /stats with counts', async () => {
        expect((await client.get('/health')).body).toEqual({ status: 'healthy' })
        expect((await client.get('/info')).body).toMatchObject({
          host: target.host,
          protocol_version: expect.any(Number),
          version: expect.any(String),
        })
        expect((await client.get('/stats')).body).toMatchObject({
          volunteers: { connected: expect.any(Number) },
          jobs: { pending: expect.any(Number), completed: expect.any(Number) },
        })
      })

      it('answers paths with malformed percent-encoding with a JSON 400', async () => {
        for (const path of [
          '/api/db/contract-kv/%E0%A4%A',
          '/contract-x/%E0%A4%A',
          '/volunteer/%E0%A4%A',
        ]) {
          const res = await call(path)
          expect(res.status, path).toBe(400)
          expect(await res.json()).toMatchObject({ code: expect.any(String) })
        }
      })

      it('answers an unknown API route with a JSON 404', async () => {
        const res = await client.get('/api/nothing-here')
        expect(res.status).toBe(404)
        expect(res.body).toMatchObject({ error: expect.any(String), code: expect.any(String) })
      })

      it('serves /metrics in the Prometheus text format and echoes x-request-id', async () => {
        expect(await client.run({ job_type: 'js', code: '1' })).toMatchObject({
          status: 'completed',
        })
        const res = await call('/metrics', { headers: { 'x-request-id': 'contract-metrics' } })
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
        expect(res.headers.get('x-request-id')).toBe('contract-metrics')
        // Without one, the answer (merged from every room on the edge) carries a new id.
        const stats = await call('/stats')
        expect(stats.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
        const text = await res.text()
        const types = text.split('\n').filter((line) => line.startsWith('# TYPE '))
        expect(new Set(types).size).toBe(types.length)
        expect(types).toContain('# TYPE zerverless_jobs gauge')
        // On the edge every room answers, and its samples say which room they came from.
        const room = target.host === 'workers' ? 'room="\\d+",' : ''
        expect(text).toMatch(
          new RegExp(`^zerverless_jobs\\{${room}state="completed"\\} [1-9]`, 'm'),
        )
        expect(text).toMatch(
          new RegExp(
            `^zerverless_dispatch_latency_seconds_count\\{${room}kind="job"\\} [1-9]`,
            'm',
          ),
        )
      })
    })

    describe('jobs', () => {
      it('runs JavaScript and Lua jobs on the connected worker', async () => {
        expect(await client.run({ job_type: 'js', code: '6 * 7' })).toMatchObject({
          status: 'completed',
          result: 42,
        })
        expect(
          await client.run({
            job_type: 'lua',
            code: 'print("hi") return INPUT.n + 1',
            input_data: { n: 1 },
          }),
        ).toMatchObject({ status: 'completed', result: 2, output: 'hi\n' })
      })

      it('keeps jobs of different namespaces apart and lists them by namespace', async () => {
        const a = await client.run({ job_type: 'js', code: '"a"', namespace: 'contract-a' })
        const b = await client.run({ job_type: 'js', code: '"b"', namespace: 'contract-b' })
        expect([a.status, b.status]).toEqual(['completed', 'completed'])
        const listed = (await client.get('/api/jobs?namespace=contract-a&limit=50')).body
        const ids = listed.jobs.map((j: { id: string }) => j.id)
        expect(ids).toContain(a.id)
        expect(ids).not.toContain(b.id)
        const all = (await client.get('/api/jobs?limit=100')).body
        expect(all.jobs.map((j: { id: string }) => j.id)).toEqual(
          expect.arrayContaining([a.id, b.id]),
        )
      })

      it('runs a batch and reports it done', async () => {
        const created = await client.post('/api/jobs/batch', {
          job_type: 'js',
          code: 'INPUT.n * 2',
          inputs: [1, 2, 3, 4].map((n) => ({ n })),
        })
        expect(created.status).toBe(201)
        expect(created.body).toMatchObject({ count: 4, batch_id: expect.any(String) })
        const summary = await client.get(`/api/jobs/batch/${created.body.batch_id}?wait=20`)
        expect(summary.body).toMatchObject({ total: 4, done: true, completed: 4 })
        const jobs = (await client.get(`/api/jobs?batch_id=${created.body.batch_id}&limit=10`)).body
        expect(jobs.jobs.map((j: { result: number }) => j.result).sort()).toEqual([2, 4, 6, 8])
      })

      it('fails a job past its timeout and cancels a running one', async () => {
        expect(
          await client.run({ job_type: 'js', code: 'while (true) {}', timeout_seconds: 1 }),
        ).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
        const created = await client.post('/api/jobs', {
          job_type: 'lua',
          code: 'while true do end',
          timeout_seconds: 600,
        })
        await eventually(
          async () =>
            (await client.get(`/api/jobs/${created.body.id}`)).body.status === 'running' ||
            undefined,
        )
        expect(await client.delete(`/api/jobs/${created.body.id}`)).toMatchObject({
          status: 200,
          body: { status: 'cancelled', error: { code: 'CANCELLED' } },
        })
        expect((await client.delete(`/api/jobs/${created.body.id}`)).status).toBe(409)
        expect(await client.run({ job_type: 'lua', code: 'return 1' })).toMatchObject({
          status: 'completed',
        })
      })

      it('refuses bad submissions with a code and the field, and unknown ids with 404', async () => {
        const bad = await client.post('/api/jobs', { job_type: 'cobol', code: 'x' })
        expect(bad.status).toBe(400)
        expect(bad.body).toMatchObject({
          code: expect.any(String),
          error: expect.stringContaining('job_type'),
        })
        const malformed = await client.post('/api/jobs', '{"job_type": ')
        expect(malformed.status).toBe(400)
        expect((await client.get('/api/jobs/no-such-job')).status).toBe(404)
        expect((await client.get('/api/jobs/r1-no-such-job')).status).toBe(404)
      })
    })

    describe('functions', () => {
      it('deploys and invokes the seed functions in JavaScript and Lua', async () => {
        await deploy('contract-alice/hello', {
          runtime: 'lua',
          code: 'function handle(req) return {status=200, body="Hello, " .. req.query.name .. "!"} end',
        })
        const hello = await call('/contract-alice/hello?name=World')
        expect(hello.status).toBe(200)
        expect(await hello.text()).toBe('Hello, World!')
        await deploy('contract-bob/api/greet', {
          runtime: 'js',
          code: 'function handle(req) { return {status: 201, headers: {"Content-Type": "application/json", "X-Greeting": "yes"}, body: JSON.stringify({message: "Hello " + req.query.name})} }',
        })
        const greet = await call('/contract-bob/api/greet?name=Alice')
        expect(greet.status).toBe(201)
        expect(greet.headers.get('x-greeting')).toBe('yes')
        expect(await greet.json()).toEqual({ message: 'Hello Alice' })
      })

      it('lists, shows and deletes deployments; a missing function is a JSON 404', async () => {
        await deploy('contract-lister/one', {
          runtime: 'js',
          code: 'function handle() { return {body: "1"} }',
        })
        expect((await client.get('/api/deploy/contract-lister/one')).body).toMatchObject({
          runtime: 'js',
        })
        const mine = (await client.get('/api/deploy?user=contract-lister')).body
        expect(mine.total).toBe(1)
        expect((await client.get('/api/deploy')).body.total).toBeGreaterThanOrEqual(1)
        expect((await client.delete('/api/deploy/contract-lister/one')).status).toBe(204)
        const gone = await call('/contract-lister/one')
        expect(gone.status).toBe(404)
        expect(await gone.json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND' })
      })

      it('gives a function its namespace database', async () => {
        await deploy('contract-counter/hit', {
          runtime: 'js',
          code: 'function handle() { const n = (db.get("hits") ?? 0) + 1; db.set("hits", n); return {body: {hits: n}} }',
        })
        expect(await (await call('/contract-counter/hit')).json()).toEqual({ hits: 1 })
        expect(await (await call('/contract-counter/hit')).json()).toEqual({ hits: 2 })
        expect((await client.get('/api/db/contract-counter/hits')).body).toMatchObject({
          value: 2,
          exists: true,
        })
      })
    })

    describe('database and storage', () => {
      it('stores, reads, lists and deletes keys', async () => {
        const put = await call('/api/db/contract-kv/mykey', {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value: { name: 'Alice', count: 42 } }),
        })
        expect(put.status).toBe(200)
        expect((await client.get('/api/db/contract-kv/mykey')).body).toMatchObject({
          key: 'mykey',
          value: { name: 'Alice', count: 42 },
          exists: true,
        })
        expect((await client.get('/api/db/contract-kv/?prefix=my')).body.keys).toEqual(['mykey'])
        expect((await client.delete('/api/db/contract-kv/mykey')).status).toBe(204)
        expect((await client.get('/api/db/contract-kv/mykey')).status).toBe(404)
        expect((await client.get('/api/db/contract-other/mykey')).status).toBe(404)
      })

      it('stores files, serves them statically with ranges, and deletes them', async () => {
        const html = '<h1>hello from storage</h1>'
        const put = await call('/api/storage/contract-files/site/index.html', {
          method: 'PUT',
          body: html,
        })
        expect(put.status).toBe(201)
        const got = await call('/api/storage/contract-files/site/index.html')
        expect(await got.text()).toBe(html)
        const served = await call('/static/contract-files/site/index.html')
        expect(served.status).toBe(200)
        expect(served.headers.get('content-type')).toContain('text/html')
        expect(await served.text()).toBe(html)
        const range = await call('/static/contract-files/site/index.html', {
          headers: { range: 'bytes=4-8' },
        })
        expect(range.status).toBe(206)
        expect(await range.text()).toBe(html.slice(4, 9))
        const listed = (await client.get('/api/storage/contract-files/?prefix=site/')).body
        expect(JSON.stringify(listed)).toContain('site/index.html')
        const conflict = await call('/api/storage/contract-files/site/index.html/inner.txt', {
          method: 'PUT',
          body: 'x',
        })
        expect(conflict.status).toBe(409)
        expect((await client.delete('/api/storage/contract-files/site/index.html')).status).toBe(
          204,
        )
        expect((await call('/static/contract-files/site/index.html')).status).toBe(404)
      })
    })

    describe('paths from the URL', () => {
      const put = (path: string, body: string) => call(path, { method: 'PUT', body })

      it('deploys and invokes at what a percent-encoded user and path decode to', async () => {
        // %63 is "c": the user is contract-enc, wherever it is encoded.
        const deployed = await deploy('%63ontract-enc/h%65llo', {
          runtime: 'js',
          code: 'function handle(req) { return {body: "hi " + req.query.n} }',
        })
        expect(deployed).toMatchObject({
          user: 'contract-enc',
          path: '/hello',
          url: '/contract-enc/hello',
        })
        for (const at of [
          '/contract-enc/hello',
          '/%63ontract-enc/hello',
          '/contract-enc/h%65llo',
        ]) {
          const res = await call(`${at}?n=1`)
          expect(res.status, at).toBe(200)
          expect(await res.text(), at).toBe('hi 1')
        }
        expect((await client.get('/api/deploy/contract-%65nc/hello')).body).toMatchObject({
          user: 'contract-enc',
          path: '/hello',
        })
        expect((await client.get('/api/deploy?user=contract-enc')).body.total).toBe(1)
        expect((await client.delete('/api/%64eploy/contract-enc/%68ello')).status).toBe(204)
        expect((await call('/contract-enc/hello')).status).toBe(404)
      })

      it('stores and serves files in the namespace an encoded URL names', async () => {
        const stored = await put('/api/%73torage/%63ontract-enc/a%20b.txt', 'encoded')
        expect(stored.status).toBe(201)
        expect(await stored.json()).toMatchObject({ namespace: 'contract-enc', path: 'a b.txt' })
        expect(await (await call('/api/storage/contract-enc/a%20b.txt')).text()).toBe('encoded')
        expect(await (await call('/%73tatic/contract-enc/a%20b.txt')).text()).toBe('encoded')
        expect(await (await call('/static/contract-%65nc/a%20b.txt')).text()).toBe('encoded')
        expect((await client.get('/api/storage/contract-enc/')).body.files).toEqual(['a b.txt'])
        // Nothing landed in a namespace made of a slice of the encoded URL ("e", "age", …).
        for (const ns of ['e', 'c', 'ge'])
          expect((await client.get(`/api/storage/${ns}/`)).body.files, ns).toEqual([])
        const kv = await call('/api/%64b/%63ontract-enc/k%31', {
          method: 'PUT',
          body: JSON.stringify({ value: 'v' }),
        })
        expect(kv.status).toBe(200)
        expect((await client.get('/api/db/contract-enc/k1')).body).toMatchObject({ value: 'v' })
        // An encoded "/" is data, not a separator: never a way to a file in another directory.
        expect((await put('/api/storage/contract-enc/a%2Fb.txt', 'x')).status).toBe(400)
        expect((await client.delete('/api/storage/contract-enc/a%20b.txt')).status).toBe(204)
      })

      it('takes names that merely start with dots, and refuses "." and ".." segments', async () => {
        for (const name of ['..foo', '...', '.hidden', 'a/..b/c..', '..%20x']) {
          const res = await put(`/api/storage/contract-dots/${name}`, name)
          expect(res.status, `${name}: ${await res.clone().text()}`).toBe(201)
          expect(await (await call(`/static/contract-dots/${name}`)).text(), name).toBe(name)
        }
        await deploy('contract-dots/..fn', {
          runtime: 'js',
          code: 'function handle() { return {body: "dots"} }',
        })
        expect(await (await call('/contract-dots/..fn')).text()).toBe('dots')
        for (const path of [
          '/api/storage/contract-dots/%2e%2e/x',
          '/api/storage/contract-dots/a/%2E/x',
          '/static/contract-dots/%2e%2e/contract-files/x',
        ]) {
          // Byte for byte: fetch would resolve "%2e%2e" before sending it.
          const put = !path.startsWith('/static')
          const res = await rawRequest(target.url, {
            method: put ? 'PUT' : 'GET',
            target: path,
            ...(put && { body: 'x' }),
          })
          // Node refuses dot segments; workerd resolves them, as URLs do, before the Worker sees
          // the request, which is then for (and checked as) the resolved path.
          if (target.host === 'node') {
            expect(res.status, path).toBe(400)
            expect(JSON.parse(res.body)).toMatchObject({ code: 'INVALID_PATH' })
          } else expect(res.status, path).toBeLessThan(500)
        }
        const stored = (await client.get('/api/storage/contract-dots/?limit=1000')).body
          .files as string[]
        expect(stored.filter((f) => f.split('/').some((s) => s === '.' || s === '..'))).toEqual([])
        expect(stored).toEqual(expect.arrayContaining(['..foo', '...', '.hidden', 'a/..b/c..']))
      })
    })

    describe('private files', () => {
      const put = (path: string, body = '') => call(path, { method: 'PUT', body })
      const notFound = async (path: string) => {
        const res = await call(path)
        expect(res.status, path).toBe(404)
        return (await res.json()) as { error: string; code: string }
      }

      it('keeps a file put with visibility=private out of /static, and serves it by the API', async () => {
        const put1 = await put('/api/storage/contract-priv/secret.txt?visibility=private', 'top')
        expect(put1.status).toBe(201)
        expect(await put1.json()).toMatchObject({ path: 'secret.txt', visibility: 'private' })
        await put('/api/storage/contract-priv/open.txt', 'open')
        // The same answer as for a file that was never there: nothing tells that it exists.
        const missing = await notFound('/static/contract-priv/never.txt')
        expect(await notFound('/static/contract-priv/secret.txt')).toEqual({
          ...missing,
          error: missing.error.replace('never.txt', 'secret.txt'),
        })
        expect((await call('/static/contract-priv/secret.txt', { method: 'HEAD' })).status).toBe(
          404,
        )
        const api = await call('/api/storage/contract-priv/secret.txt')
        expect(api.status).toBe(200)
        expect(api.headers.get('x-visibility')).toBe('private')
        expect(await api.text()).toBe('top')
        expect(await (await call('/static/contract-priv/open.txt')).text()).toBe('open')
        // Put again without saying: it stays private.
        await put('/api/storage/contract-priv/secret.txt', 'top 2')
        await notFound('/static/contract-priv/secret.txt')
        const listed = (await client.get('/api/storage/contract-priv/')).body
        expect(listed).toMatchObject({
          files: ['open.txt', 'secret.txt'],
          private: ['secret.txt'],
          count: 2,
        })
        // Made public again, it is served.
        await put('/api/storage/contract-priv/secret.txt?visibility=public', 'top 3')
        expect(await (await call('/static/contract-priv/secret.txt')).text()).toBe('top 3')
        const bad = await put('/api/storage/contract-priv/x.txt?visibility=hidden', 'x')
        expect(bad.status).toBe(400)
        expect(await bad.json()).toMatchObject({ code: 'INVALID_REQUEST', field: 'visibility' })
      })

      it('keeps everything under a private prefix out of /static, index pages included', async () => {
        const rule = await put('/api/storage/contract-priv2/drafts/?visibility=private')
        expect(rule.status).toBe(200)
        expect(await rule.json()).toEqual({
          namespace: 'contract-priv2',
          prefix: 'drafts/',
          visibility: 'private',
        })
        await put('/api/storage/contract-priv2/drafts/index.html', '<p>draft</p>')
        await put('/api/storage/contract-priv2/drafts/deep/a.txt', 'a')
        await put('/api/storage/contract-priv2/drafts/shown.txt?visibility=public', 'shown')
        await put('/api/storage/contract-priv2/index.html', '<p>home</p>')
        await notFound('/static/contract-priv2/drafts/index.html')
        await notFound('/static/contract-priv2/drafts/')
        await notFound('/static/contract-priv2/drafts')
        await notFound('/static/contract-priv2/drafts/deep/a.txt')
        expect(await (await call('/static/contract-priv2/drafts/shown.txt')).text()).toBe('shown')
        expect(await (await call('/static/contract-priv2/')).text()).toBe('<p>home</p>')
        expect(await (await call('/api/storage/contract-priv2/drafts/deep/a.txt')).text()).toBe('a')
        const listed = (await client.get('/api/storage/contract-priv2/?prefix=drafts/')).body
        expect(listed).toMatchObject({
          files: ['drafts/deep/a.txt', 'drafts/index.html', 'drafts/shown.txt'],
          private: ['drafts/deep/a.txt', 'drafts/index.html'],
          rules: [{ prefix: 'drafts/', visibility: 'private' }],
        })
        // The whole namespace private, with one file kept public.
        await put('/api/storage/contract-priv2/?visibility=private')
        await notFound('/static/contract-priv2/')
        expect(await (await call('/static/contract-priv2/drafts/shown.txt')).text()).toBe('shown')
        expect((await client.delete('/api/storage/contract-priv2/')).status).toBe(204)
        // Without the rule, the drafts are public again.
        expect((await client.delete('/api/storage/contract-priv2/drafts/')).status).toBe(204)
        expect((await client.delete('/api/storage/contract-priv2/drafts/')).status).toBe(404)
        expect(await (await call('/static/contract-priv2/drafts/')).text()).toBe('<p>draft</p>')
        expect((await client.get('/api/storage/contract-priv2/')).body.rules).toEqual([])
        const empty = await call('/api/storage/contract-priv2/drafts/', {
          method: 'PUT',
          body: 'x',
        })
        expect(empty.status).toBe(400)
      })
    })

    describe('volunteers', () => {
      it('lists the connected worker and serves the volunteer page cross-origin isolated', async () => {
        const { body } = await client.get('/api/volunteers')
        expect(body.total).toBeGreaterThanOrEqual(1)
        expect(body.volunteers[0]).toMatchObject({
          runtimes: expect.arrayContaining(['js', 'lua']),
        })
        const page = await call('/volunteer/')
        expect(page.status).toBe(200)
        expect(await page.text()).toContain('<html')
        expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin')
        expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
        const plain = await client.get('/ws/volunteer')
        expect(plain).toMatchObject({ status: 426, body: { code: 'UPGRADE_REQUIRED' } })
      })
    })
  })
}
