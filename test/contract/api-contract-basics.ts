/** The API contract's health, jobs, functions, database and storage (see api-contract.ts). */
import { describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import type { ContractContext } from './api-contract-context'

export function describeContractBasics(ctx: ContractContext): void {
  describe('health', () => {
    it('answers /health, /info with its host, and /stats with counts', async () => {
      expect((await ctx.client.get('/health')).body).toEqual({ status: 'healthy' })
      expect((await ctx.client.get('/info')).body).toMatchObject({
        host: ctx.target.host,
        protocol_version: expect.any(Number),
        version: expect.any(String),
      })
      expect((await ctx.client.get('/stats')).body).toMatchObject({
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
        const res = await ctx.call(path)
        expect(res.status, path).toBe(400)
        expect(await res.json()).toMatchObject({ code: expect.any(String) })
      }
    })

    it('offers GitOps where the host runs git, and says 501 where it does not', async () => {
      const listed = await ctx.client.get('/api/gitops/applications?namespace=contract-gitops')
      if (ctx.target.host === 'workers') {
        expect(listed.status).toBe(501)
        expect(listed.body).toMatchObject({ code: 'NOT_SUPPORTED' })
      } else expect(listed.body).toEqual({ applications: [], total: 0 })
      const schema = await ctx.client.get('/api/gitops/schema')
      expect(schema.status).toBe(200)
      expect(schema.body.properties.kind).toMatchObject({ const: 'Application' })
    })

    it('answers an unknown API route with a JSON 404', async () => {
      const res = await ctx.client.get('/api/nothing-here')
      expect(res.status).toBe(404)
      expect(res.body).toMatchObject({ error: expect.any(String), code: expect.any(String) })
    })

    it('serves /metrics in the Prometheus text format and echoes x-request-id', async () => {
      expect(await ctx.client.run({ job_type: 'js', code: '1' })).toMatchObject({
        status: 'completed',
      })
      const res = await ctx.call('/metrics', { headers: { 'x-request-id': 'contract-metrics' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(res.headers.get('x-request-id')).toBe('contract-metrics')
      // Without one, the answer (merged from every room on the edge) carries a new id.
      const stats = await ctx.call('/stats')
      expect(stats.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      const text = await res.text()
      const types = text.split('\n').filter((line) => line.startsWith('# TYPE '))
      expect(new Set(types).size).toBe(types.length)
      expect(types).toContain('# TYPE zerverless_jobs gauge')
      // On the edge every room answers, and its samples say which room they came from.
      const room = ctx.target.host === 'workers' ? 'room="\\d+",' : ''
      expect(text).toMatch(new RegExp(`^zerverless_jobs\\{${room}state="completed"\\} [1-9]`, 'm'))
      expect(text).toMatch(
        new RegExp(`^zerverless_dispatch_latency_seconds_count\\{${room}kind="job"\\} [1-9]`, 'm'),
      )
    })
  })

  describe('jobs', () => {
    it('runs JavaScript and Lua jobs on the connected worker', async () => {
      expect(await ctx.client.run({ job_type: 'js', code: '6 * 7' })).toMatchObject({
        status: 'completed',
        result: 42,
      })
      expect(
        await ctx.client.run({
          job_type: 'lua',
          code: 'print("hi") return INPUT.n + 1',
          input_data: { n: 1 },
        }),
      ).toMatchObject({ status: 'completed', result: 2, output: 'hi\n' })
    })

    it('keeps jobs of different namespaces apart and lists them by namespace', async () => {
      const a = await ctx.client.run({ job_type: 'js', code: '"a"', namespace: 'contract-a' })
      const b = await ctx.client.run({ job_type: 'js', code: '"b"', namespace: 'contract-b' })
      expect([a.status, b.status]).toEqual(['completed', 'completed'])
      const listed = (await ctx.client.get('/api/jobs?namespace=contract-a&limit=50')).body
      const ids = listed.jobs.map((j: { id: string }) => j.id)
      expect(ids).toContain(a.id)
      expect(ids).not.toContain(b.id)
      const all = (await ctx.client.get('/api/jobs?limit=100')).body
      expect(all.jobs.map((j: { id: string }) => j.id)).toEqual(
        expect.arrayContaining([a.id, b.id]),
      )
    })

    it('runs a batch and reports it done', async () => {
      const created = await ctx.client.post('/api/jobs/batch', {
        job_type: 'js',
        code: 'INPUT.n * 2',
        inputs: [1, 2, 3, 4].map((n) => ({ n })),
      })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ count: 4, batch_id: expect.any(String) })
      const summary = await ctx.client.get(`/api/jobs/batch/${created.body.batch_id}?wait=20`)
      expect(summary.body).toMatchObject({ total: 4, done: true, completed: 4 })
      const jobs = (await ctx.client.get(`/api/jobs?batch_id=${created.body.batch_id}&limit=10`))
        .body
      expect(jobs.jobs.map((j: { result: number }) => j.result).sort()).toEqual([2, 4, 6, 8])
    })

    it('fails a job past its timeout and cancels a running one', async () => {
      expect(
        await ctx.client.run({ job_type: 'js', code: 'while (true) {}', timeout_seconds: 1 }),
      ).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
      const created = await ctx.client.post('/api/jobs', {
        job_type: 'lua',
        code: 'while true do end',
        timeout_seconds: 600,
      })
      await eventually(
        async () =>
          (await ctx.client.get(`/api/jobs/${created.body.id}`)).body.status === 'running' ||
          undefined,
      )
      expect(await ctx.client.delete(`/api/jobs/${created.body.id}`)).toMatchObject({
        status: 200,
        body: { status: 'cancelled', error: { code: 'CANCELLED' } },
      })
      expect((await ctx.client.delete(`/api/jobs/${created.body.id}`)).status).toBe(409)
      expect(await ctx.client.run({ job_type: 'lua', code: 'return 1' })).toMatchObject({
        status: 'completed',
      })
    })

    it('refuses bad submissions with a code and the field, and unknown ids with 404', async () => {
      const bad = await ctx.client.post('/api/jobs', { job_type: 'cobol', code: 'x' })
      expect(bad.status).toBe(400)
      expect(bad.body).toMatchObject({
        code: expect.any(String),
        error: expect.stringContaining('job_type'),
      })
      const malformed = await ctx.client.post('/api/jobs', '{"job_type": ')
      expect(malformed.status).toBe(400)
      expect((await ctx.client.get('/api/jobs/no-such-job')).status).toBe(404)
      expect((await ctx.client.get('/api/jobs/r1-no-such-job')).status).toBe(404)
    })
  })

  describe('functions', () => {
    it('deploys and invokes the seed functions in JavaScript and Lua', async () => {
      await ctx.deploy('contract-alice/hello', {
        runtime: 'lua',
        code: 'function handle(req) return {status=200, body="Hello, " .. req.query.name .. "!"} end',
      })
      const hello = await ctx.call('/contract-alice/hello?name=World')
      expect(hello.status).toBe(200)
      expect(await hello.text()).toBe('Hello, World!')
      await ctx.deploy('contract-bob/api/greet', {
        runtime: 'js',
        code: 'function handle(req) { return {status: 201, headers: {"Content-Type": "application/json", "X-Greeting": "yes"}, body: JSON.stringify({message: "Hello " + req.query.name})} }',
      })
      const greet = await ctx.call('/contract-bob/api/greet?name=Alice')
      expect(greet.status).toBe(201)
      expect(greet.headers.get('x-greeting')).toBe('yes')
      expect(await greet.json()).toEqual({ message: 'Hello Alice' })
    })

    it('lists, shows and deletes deployments; a missing function is a JSON 404', async () => {
      await ctx.deploy('contract-lister/one', {
        runtime: 'js',
        code: 'function handle() { return {body: "1"} }',
      })
      expect((await ctx.client.get('/api/deploy/contract-lister/one')).body).toMatchObject({
        runtime: 'js',
      })
      const mine = (await ctx.client.get('/api/deploy?user=contract-lister')).body
      expect(mine.total).toBe(1)
      expect((await ctx.client.get('/api/deploy')).body.total).toBeGreaterThanOrEqual(1)
      expect((await ctx.client.delete('/api/deploy/contract-lister/one')).status).toBe(204)
      const gone = await ctx.call('/contract-lister/one')
      expect(gone.status).toBe(404)
      expect(await gone.json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND' })
    })

    it('checks code at deploy as its host can, and logs every call newest first', async () => {
      const nameless = await ctx.client.post('/api/deploy/contract-check/f', {
        runtime: 'js',
        code: 'function handler() { return {body: "x"} }',
      })
      expect(nameless).toMatchObject({
        status: 400,
        body: { code: 'INVALID_FUNCTION', details: { code: 'NO_HANDLER' } },
      })
      // The Node host compiles js and lua at deploy; the Workers host loads no parser.
      const broken = await ctx.client.post('/api/deploy/contract-check/f', {
        runtime: 'lua',
        code: 'function handle() return {body="x"}',
      })
      if (ctx.target.host === 'node')
        expect(broken).toMatchObject({
          status: 400,
          body: { code: 'INVALID_FUNCTION', line: 1, details: { code: 'SYNTAX_ERROR' } },
        })
      else expect(broken.status).toBe(201)
      await ctx.deploy('contract-check/f', {
        runtime: 'lua',
        code: 'function handle(req) if req.query.fail then error("asked") end return {body="ok"} end',
      })
      await ctx.call('/contract-check/f')
      await ctx.call('/contract-check/f?fail=1')
      const logs = (await ctx.client.get('/api/deploy/contract-check/f/logs')).body
      expect(logs.invocations).toMatchObject([
        { status: 502, error: { code: 'FUNCTION_ERROR' } },
        { status: 200 },
      ])
    })

    it('gives a function its namespace database', async () => {
      await ctx.deploy('contract-counter/hit', {
        runtime: 'js',
        code: 'function handle() { const n = (db.get("hits") ?? 0) + 1; db.set("hits", n); return {body: {hits: n}} }',
      })
      expect(await (await ctx.call('/contract-counter/hit')).json()).toEqual({ hits: 1 })
      expect(await (await ctx.call('/contract-counter/hit')).json()).toEqual({ hits: 2 })
      expect((await ctx.client.get('/api/db/contract-counter/hits')).body).toMatchObject({
        value: 2,
        exists: true,
      })
    })
  })

  describe('database and storage', () => {
    it('stores, reads, lists and deletes keys', async () => {
      const put = await ctx.call('/api/db/contract-kv/mykey', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: { name: 'Alice', count: 42 } }),
      })
      expect(put.status).toBe(200)
      expect((await ctx.client.get('/api/db/contract-kv/mykey')).body).toMatchObject({
        key: 'mykey',
        value: { name: 'Alice', count: 42 },
        exists: true,
      })
      expect((await ctx.client.get('/api/db/contract-kv/?prefix=my')).body.keys).toEqual(['mykey'])
      expect((await ctx.client.delete('/api/db/contract-kv/mykey')).status).toBe(204)
      expect((await ctx.client.get('/api/db/contract-kv/mykey')).status).toBe(404)
      expect((await ctx.client.get('/api/db/contract-other/mykey')).status).toBe(404)
    })

    it('stores files, serves them statically with ranges, and deletes them', async () => {
      const html = '<h1>hello from storage</h1>'
      const put = await ctx.call('/api/storage/contract-files/site/index.html', {
        method: 'PUT',
        body: html,
      })
      expect(put.status).toBe(201)
      const got = await ctx.call('/api/storage/contract-files/site/index.html')
      expect(await got.text()).toBe(html)
      const served = await ctx.call('/static/contract-files/site/index.html')
      expect(served.status).toBe(200)
      expect(served.headers.get('content-type')).toContain('text/html')
      expect(await served.text()).toBe(html)
      const range = await ctx.call('/static/contract-files/site/index.html', {
        headers: { range: 'bytes=4-8' },
      })
      expect(range.status).toBe(206)
      expect(await range.text()).toBe(html.slice(4, 9))
      const listed = (await ctx.client.get('/api/storage/contract-files/?prefix=site/')).body
      expect(JSON.stringify(listed)).toContain('site/index.html')
      const conflict = await ctx.call('/api/storage/contract-files/site/index.html/inner.txt', {
        method: 'PUT',
        body: 'x',
      })
      expect(conflict.status).toBe(409)
      expect((await ctx.client.delete('/api/storage/contract-files/site/index.html')).status).toBe(
        204,
      )
      expect((await ctx.call('/static/contract-files/site/index.html')).status).toBe(404)
    })
  })
}
