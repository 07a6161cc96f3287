/**
 * The API contract's rough edges smoothed for the CLI and console (issue 20): submit-and-wait in
 * one call, batch listings in input order with each job's index, and 405s that name what a path
 * takes (see api-contract.ts).
 */
import { describe, expect, it } from 'vitest'
import type { ContractContext } from './api-contract-context'

export function describeContractEdges(ctx: ContractContext): void {
  describe('submitting and waiting in one call', () => {
    it('answers POST /api/jobs?wait= with 201 and the finished job', async () => {
      const res = await ctx.client.post('/api/jobs?wait=20', {
        job_type: 'lua',
        namespace: 'contract-wait',
        code: 'print("waited") return INPUT.n * 3',
        input_data: { n: 14 },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      expect(res.body).toMatchObject({ status: 'completed', result: 42, output: 'waited\n' })
      expect((await ctx.client.get(`/api/jobs/${res.body.id}`)).body).toMatchObject({
        status: 'completed',
        result: 42,
      })
    })

    it('answers POST /api/jobs/batch?wait= once every job ended, and lists them in input order', async () => {
      const inputs = [5, 1, 4, 2, 3].map((n) => ({ n }))
      const created = await ctx.client.post('/api/jobs/batch?wait=30', {
        job_type: 'js',
        namespace: 'contract-order',
        code: 'INPUT.n * 10',
        inputs,
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      expect(created.body).toMatchObject({ count: 5, done: true, completed: 5, failed: 0 })
      const batch = created.body.batch_id as string
      const listed = await ctx.client.get(
        `/api/jobs?batch_id=${batch}&namespace=contract-order&order=input&limit=10`,
      )
      expect(listed.body.jobs.map((j: { index: number }) => j.index)).toEqual([0, 1, 2, 3, 4])
      expect(listed.body.jobs.map((j: { result: number }) => j.result)).toEqual([
        50, 10, 40, 20, 30,
      ])
      expect(listed.body.jobs.map((j: { id: string }) => j.id)).toEqual(created.body.job_ids)
      // Paged, input order holds across pages; the default stays newest first.
      const second = await ctx.client.get(
        `/api/jobs?batch_id=${batch}&order=input&limit=2&offset=2`,
      )
      expect(second.body.jobs.map((j: { index: number }) => j.index)).toEqual([2, 3])
      const newest = await ctx.client.get(`/api/jobs?batch_id=${batch}&limit=10`)
      expect(newest.body.jobs.map((j: { index: number }) => j.index)).toEqual([4, 3, 2, 1, 0])
      const one = await ctx.client.get(`/api/jobs/${created.body.job_ids[3]}`)
      expect(one.body).toMatchObject({ index: 3, batch_id: batch, result: 20 })
    })

    it('refuses a bad wait or order with a 400 that names the field', async () => {
      const wait = await ctx.client.post('/api/jobs?wait=soon', { job_type: 'js', code: '1' })
      expect(wait.status).toBe(400)
      expect(wait.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'wait' })
      const order = await ctx.client.get('/api/jobs?namespace=contract-order&order=sideways')
      expect(order.status).toBe(400)
      expect(order.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'order' })
    })
  })

  describe('methods a path does not take', () => {
    const cases: [method: string, path: string, allow: string][] = [
      ['PATCH', '/api/jobs', 'GET, HEAD, POST, OPTIONS'],
      ['PATCH', '/api/jobs/some-job', 'GET, HEAD, DELETE, OPTIONS'],
      ['PUT', '/api/jobs/batch/some-batch', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/api/db/contract-kv/key', 'GET, HEAD, PUT, DELETE, OPTIONS'],
      ['POST', '/health', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/stats', 'GET, HEAD, OPTIONS'],
    ]
    for (const [method, path, allow] of cases) {
      it(`answers ${method} ${path} with 405 and Allow: ${allow}`, async () => {
        const res = await ctx.call(path, { method })
        expect(res.status).toBe(405)
        expect(res.headers.get('allow')).toBe(allow)
        expect(await res.json()).toEqual({
          error: `${method} is not allowed on ${path}; it takes ${allow}`,
          code: 'METHOD_NOT_ALLOWED',
        })
      })
    }

    it('answers a plain OPTIONS on a known path with 204 and Allow', async () => {
      const res = await ctx.call('/api/jobs', { method: 'OPTIONS' })
      expect(res.status).toBe(204)
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS')
    })

    it('answers HEAD where GET is taken, and 405 where it is not', async () => {
      expect((await ctx.call('/health', { method: 'HEAD' })).status).toBe(200)
      const res = await ctx.call('/api/jobs/batch', { method: 'PUT' })
      expect(res.status).toBe(405)
      // GET /api/jobs/{id} matches it too (as an id): the Allow says all the router would take.
      expect(res.headers.get('allow')).toBe('GET, HEAD, POST, DELETE, OPTIONS')
    })

    it('keeps an unknown path a 404, whatever the method', async () => {
      for (const method of ['GET', 'PATCH']) {
        const res = await ctx.call('/api/nothing-here', { method })
        expect(res.status, method).toBe(404)
        expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' })
      }
    })

    it('lets a function answer every method at its path', async () => {
      await ctx.deploy('contract-methods/echo', {
        runtime: 'js',
        code: 'function handle(req) { return {status: 200, body: req.method} }',
      })
      for (const method of ['PATCH', 'DELETE', 'PUT']) {
        const res = await ctx.call('/contract-methods/echo', { method })
        expect(res.status, method).toBe(200)
        expect(await res.text()).toBe(method)
      }
    })
  })
}
