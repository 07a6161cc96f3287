/**
 * The API contract's OpenAPI section (see api-contract.ts): every host serves the same document
 * and the docs page, and its answers (the edge's combined ones too) match that document.
 */
import { describe, expect, it } from 'vitest'
import { apiDocument } from '../../edge/core/openapi/api-document'
import { expectMatchesDocument } from '../helpers/openapi-match'
import type { ContractContext } from './api-contract-context'

export function describeContractOpenApi(ctx: ContractContext): void {
  describe('the OpenAPI document', () => {
    it('is served open at /openapi.json, the same on every host', async () => {
      const res = await ctx.call('/openapi.json')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('application/json')
      expect(await res.json()).toEqual(apiDocument())
    })

    it('serves the docs page from its own files', async () => {
      const page = await ctx.call('/docs')
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(await page.text()).toContain('/docs/swagger-ui-bundle.js')
      const bundle = await ctx.call('/docs/swagger-ui-bundle.js')
      expect(bundle.status).toBe(200)
      expect(bundle.headers.get('content-type')).toContain('javascript')
      await bundle.body?.cancel()
      expect((await ctx.call('/docs/../index.html')).status).not.toBe(200)
    })

    it('describes what the host answers', async () => {
      for (const path of ['/health', '/info', '/stats']) {
        const res = await ctx.client.get(path)
        expectMatchesDocument(res, 'GET', path)
      }
      const job = await ctx.client.post('/api/jobs?wait=30', {
        job_type: 'js',
        code: 'INPUT.n + 1',
        input_data: { n: 1 },
        namespace: 'contract-oapi',
      })
      expect(job.body.status).toBe('completed')
      expectMatchesDocument(job, 'POST', '/api/jobs')
      const read = await ctx.client.get(`/api/jobs/${job.body.id}`)
      expectMatchesDocument(read, 'GET', '/api/jobs/{id}')
      const missing = await ctx.client.get('/api/jobs/nope')
      expect(missing.status).toBe(404)
      expectMatchesDocument(missing, 'GET', '/api/jobs/{id}')
    })
  })
}
