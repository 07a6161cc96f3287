/**
 * The OpenAPI document against the routes: valid OpenAPI 3.1, every declared route documented or
 * hidden with a reason, and every documented operation answered by a real route of a real app.
 */
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiDocument } from '../../edge/core/openapi/api-document'
import { API_TABLES } from '../../edge/core/openapi/api-tables'
import { toOpenApiPath } from '../../edge/core/openapi/openapi-path'
import { createTestApp, type TestApp } from '../helpers/test-app'

const declared = Object.entries(API_TABLES).flatMap(([table, routes]) =>
  routes.described().map((route) => ({ table, name: `${route.method} ${route.path}`, ...route })),
)

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(apiDocument()))
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('documents every declared route, or says why it is left out', () => {
    const undocumented = declared
      .filter((r) => r.info.doc === undefined)
      .map((r) => `${r.name} (${r.table})`)
    expect(undocumented).toEqual([])
    const hiddenWithoutReason = declared.filter(
      (r) => r.info.doc && 'hidden' in r.info.doc && r.info.doc.hidden.trim().length < 5,
    )
    expect(hiddenWithoutReason.map((r) => r.name)).toEqual([])
  })

  it('holds exactly the documented routes, each under its OpenAPI path', () => {
    const expected = new Set(
      declared.flatMap((r) => {
        const doc = r.info.doc
        if (!doc || 'hidden' in doc) return []
        const methods =
          r.method === 'ALL'
            ? (doc.methods ?? ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])
            : [r.method]
        return methods.map((m) => `${m} ${toOpenApiPath(r.path).path}`)
      }),
    )
    const inDocument = Object.entries(apiDocument().paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(new Set(inDocument)).toEqual(expected)
    expect(inDocument.length).toBe(expected.size)
  })
})

describe('the document and a real app', () => {
  let server: TestApp
  beforeAll(async () => {
    server = await createTestApp({ volunteers: 0 })
  })
  afterAll(async () => {
    await server.close()
  })

  it('lists every route table the app mounts', () => {
    const tables = new Set(declared.map((r) => `${r.method} ${r.path}`))
    // Middleware is registered for every method; routes of a single method are the tables'.
    const mounted = server.app.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path}`)
    expect(mounted.filter((name) => !tables.has(name))).toEqual([])
    const all = new Set(server.app.routes.map((r) => `${r.method} ${r.path}`))
    expect([...tables].filter((name) => !all.has(name))).toEqual([])
  })

  it('answers every documented operation with a route of its own, not a 404 or a 405', async () => {
    const unanswered: string[] = []
    for (const [path, item] of Object.entries(apiDocument().paths)) {
      for (const method of Object.keys(item)) {
        // Sample parameters: a route answers them (a 404 of its own, a 400), Hono's fallback does not.
        const url = path.replace(/\{[^}]+\}/g, 'sample-x')
        const res = await server.fetch(url, { method: method.toUpperCase() })
        const body = res.headers.get('content-type')?.includes('json')
          ? ((await res.json()) as { code?: string; error?: string })
          : (await res.body?.cancel(), {})
        const fallback = body.code === 'NOT_FOUND' && body.error?.startsWith('no route for')
        if (fallback || res.status === 405) unanswered.push(`${method.toUpperCase()} ${path}`)
      }
    }
    expect(unanswered).toEqual([])
  })
})
