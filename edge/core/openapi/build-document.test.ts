/** The OpenAPI generator on a small route table: paths, operation ids, schemas, components, security. */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { RouteTable } from '../routes/route-table'
import { HOME } from '../rooms/owner'
import { buildDocument } from './build-document'
import { operationIdOf } from './operation-id'
import { toOpenApiPath } from './openapi-path'

const ok = () => new Response(null)

describe('OpenAPI paths and operation ids', () => {
  it('turns Hono parameters and a trailing wildcard into OpenAPI parameters', () => {
    expect(toOpenApiPath('/api/db/:ns/:key')).toEqual({
      path: '/api/db/{ns}/{key}',
      params: ['ns', 'key'],
    })
    expect(toOpenApiPath('/api/deploy/:user/*')).toEqual({
      path: '/api/deploy/{user}/{path}',
      params: ['user', 'path'],
    })
    expect(toOpenApiPath('/health')).toEqual({ path: '/health', params: [] })
  })

  it('names operations by method and path, without the /api every call has', () => {
    expect(operationIdOf('GET', '/api/jobs/{id}')).toBe('getJobsById')
    expect(operationIdOf('POST', '/api/jobs/batch')).toBe('postJobsBatch')
    expect(operationIdOf('GET', '/openapi.json')).toBe('getOpenapiJson')
    expect(operationIdOf('PATCH', '/{user}/{path}')).toBe('patchByUserByPath')
  })
})

describe('the document of a route table', () => {
  const Thing = z.strictObject({ name: z.string(), data: z.json() }).meta({ id: 'TestThing' })
  const table = new RouteTable<undefined>()
    .post(
      '/api/things/:ns',
      {
        owner: HOME,
        doc: {
          summary: 'Make a thing',
          tag: 'Things',
          query: z.object({ limit: z.string().regex(/^\d+$/).transform(Number).optional() }),
          body: z.strictObject({
            name: z.string().transform((s) => s.trim()),
            data: z.json().optional(),
          }),
          responses: {
            201: { description: 'Made', schema: Thing },
            404: { description: 'NOT_FOUND' },
          },
        },
      },
      ok,
    )
    .get('/api/things/:ns/', { owner: HOME, doc: { hidden: 'an alias' } }, ok)
    .all(
      '/:user/*',
      {
        owner: HOME,
        doc: {
          summary: 'Call',
          tag: 'Calls',
          access: 'open',
          methods: ['GET', 'POST'],
          responses: {},
        },
      },
      ok,
    )
    .get('/undocumented', { owner: HOME }, ok)
  const document = buildDocument({ version: '9.9.9', routes: table.described() })

  it('documents what is documented, leaves out the hidden and the undocumented', () => {
    expect(Object.keys(document.paths)).toEqual(['/api/things/{ns}', '/{user}/{path}'])
    expect(Object.keys(document.paths['/{user}/{path}'] as object)).toEqual(['get', 'post'])
    expect((document.info as { version: string }).version).toBe('9.9.9')
  })

  it('takes parameters, bodies and responses from the zod schemas, shared parts as components', () => {
    const op = (document.paths['/api/things/{ns}'] as Record<string, any>).post
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      'path:ns',
      'query:limit',
    ])
    const body = op.requestBody.content['application/json'].schema
    expect(body.properties.name).toEqual({ type: 'string' })
    expect(body.properties.data).toEqual({ $ref: '#/components/schemas/JsonValue' })
    expect(op.responses['201'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/TestThing',
    })
    expect(op.responses['404'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    })
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas
    expect(Object.keys(schemas).sort()).toEqual(['Error', 'JsonValue', 'TestThing'])
    expect(JSON.stringify(document)).not.toContain('$defs')
  })

  it('marks open routes as needing no token', () => {
    const call = (document.paths['/{user}/{path}'] as Record<string, any>).get
    expect(call.security).toEqual([])
    expect(
      (document.paths['/api/things/{ns}'] as Record<string, any>).post.security,
    ).toBeUndefined()
    expect(document.security).toEqual([{ bearerAuth: [] }])
  })
})
