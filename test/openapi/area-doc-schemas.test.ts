/**
 * The entries of the storage, services, workflows, cron, secrets and GitOps routes: every declared
 * route has one (or says why it is hidden), and every schema they name converts to JSON Schema
 * (draft 2020-12) as the OpenAPI generator converts it: requests as input, responses as output.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { RouteDoc } from '../../edge/core/routes/route-doc'
import { cronRoutes } from '../../edge/core/routes/cron-routes'
import { gitopsRoutes } from '../../edge/core/routes/gitops-routes'
import { secretRoutes } from '../../edge/core/routes/secret-routes'
import { serviceRoutes } from '../../edge/core/routes/service-routes'
import { staticRoutes, storageRoutes } from '../../edge/core/routes/storage-routes'
import { workflowRoutes } from '../../edge/core/routes/workflow-routes'
import { docsOf, type Table } from '../helpers/route-docs'

const TABLES: [string, string, Table][] = [
  ['secrets', 'Secrets', secretRoutes],
  ['cron', 'Cron', cronRoutes],
  ['storage', 'Storage', storageRoutes],
  ['static', 'Storage', staticRoutes],
  ['workflow', 'Workflows', workflowRoutes],
  ['gitops', 'GitOps', gitopsRoutes],
  ['service', 'Services', serviceRoutes],
]

const convert = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' })

describe.each(TABLES)('the %s routes', (_name, tag, table) => {
  it('each have an entry with a summary and this tag, or say why they are hidden', async () => {
    const routes = await docsOf(table)
    expect(routes.length).toBeGreaterThan(0)
    const missing = routes.filter((r) => r.doc === undefined).map((r) => `${r.method} ${r.path}`)
    expect(missing).toEqual([])
    for (const { method, path, doc } of routes) {
      if (!doc || 'hidden' in doc) {
        expect(doc?.hidden, `${method} ${path}`).toMatch(/\w/)
        continue
      }
      expect(doc.summary, `${method} ${path}`).toMatch(/\w/)
      expect(doc.tag, `${method} ${path}`).toBe(tag)
      expect(Object.keys(doc.responses).length, `${method} ${path}`).toBeGreaterThan(0)
      for (const name of path.match(/:\w+/g) ?? [])
        expect(doc.params?.[name.slice(1)], `${method} ${path} ${name}`).toMatch(/\w/)
      if (path.endsWith('*')) expect(doc.params?.path, `${method} ${path} *`).toMatch(/\w/)
    }
  })

  it('name schemas that convert to JSON Schema (requests as input, responses as output)', async () => {
    const docs = (await docsOf(table)).flatMap((r) =>
      r.doc && !('hidden' in r.doc) ? [{ ...r, doc: r.doc as RouteDoc }] : [],
    )
    for (const { method, path, doc } of docs) {
      const what = `${method} ${path}`
      if (doc.query) expect(convert(doc.query, 'input'), what).toHaveProperty('type', 'object')
      if (doc.body && doc.body instanceof z.ZodType)
        expect(() => convert(doc.body as z.ZodType, 'input'), what).not.toThrow()
      for (const [status, response] of Object.entries(doc.responses)) {
        expect(response.description, `${what} ${status}`).toMatch(/\w/)
        if (response.schema)
          expect(() => convert(response.schema!, 'output'), `${what} ${status}`).not.toThrow()
      }
    }
  })
})
