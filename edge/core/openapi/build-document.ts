/**
 * The OpenAPI 3.1 document of the API, built from the routes' own declarations (RouteInfo.doc):
 * the same zod schemas that parse a request describe it, so the document follows the routes.
 */
import type { z } from 'zod'
import type { RawBody, ResponseDoc, RouteDoc } from '../routes/route-doc'
import type { DescribedRoute } from '../routes/route-table'
import { operationIdOf } from './operation-id'
import { toOpenApiPath } from './openapi-path'
import { SchemaComponents, type JsonSchema } from './schema-components'

/** An OpenAPI document, as JSON. */
export type OpenApiDocument = JsonSchema & { openapi: '3.1.0'; paths: Record<string, JsonSchema> }

/** What the document is built from: every route, each table's in the order Hono tries them. */
export interface DocumentSource {
  version: string
  routes: readonly DescribedRoute[]
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const
const BEARER = 'bearerAuth'

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description:
    'Every error: a message that says what was wrong and what to do, and a machine-readable code; some add the field at fault.',
  properties: {
    error: { type: 'string' },
    code: { type: 'string', examples: ['INVALID_REQUEST', 'JOB_NOT_FOUND', 'AUTH_REQUIRED'] },
    field: { type: 'string' },
  },
  required: ['error', 'code'],
}

/** Builds the document; routes without an entry or marked hidden are left out. */
export function buildDocument({ version, routes }: DocumentSource): OpenApiDocument {
  const components = new SchemaComponents()
  const errorRef = components.define('Error', ERROR_SCHEMA)
  const paths: Record<string, JsonSchema> = {}
  const tags = new Set<string>()
  const ids = new Set<string>()
  for (const route of routes) {
    const doc = route.info.doc
    if (!doc || 'hidden' in doc) continue
    const { path, params } = toOpenApiPath(route.path)
    const methods = route.method === 'ALL' ? (doc.methods ?? ALL_METHODS) : [route.method]
    for (const method of methods) {
      const id =
        doc.operationId === undefined
          ? operationIdOf(method, path)
          : methods.length > 1
            ? `${doc.operationId}${method[0]}${method.slice(1).toLowerCase()}`
            : doc.operationId
      if (ids.has(id)) throw new Error(`two operations are named ${id} (${method} ${path})`)
      ids.add(id)
      tags.add(doc.tag)
      const item = (paths[path] ??= {})
      // A route for every method takes its body on the methods that have one.
      const bodyless = route.method === 'ALL' && (method === 'GET' || method === 'DELETE')
      const described = bodyless ? { ...doc, body: undefined } : doc
      item[method.toLowerCase()] = operation(described, id, params, components, errorRef)
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Zerverless API',
      version,
      description:
        'Jobs, serverless functions, key-value data, files and services on volunteer compute. With auth off (the loopback default) no token is needed; with auth on, send `Authorization: Bearer <token>` except to the operations marked open.',
    },
    servers: [{ url: '/' }],
    security: [{ [BEARER]: [] }],
    // In the order the routes come: health first, the document itself last.
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        [BEARER]: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The admin token (ZERVERLESS_ADMIN_TOKEN) or a namespace token from POST /api/tokens.',
        },
      },
    },
  }
}

function operation(
  doc: RouteDoc,
  operationId: string,
  params: string[],
  components: SchemaComponents,
  errorRef: JsonSchema,
): JsonSchema {
  const parameters = [
    ...params.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: doc.params?.[name] ?? name,
      schema: { type: 'string' },
    })),
    ...(doc.query ? queryParameters(doc.query, components) : []),
  ]
  const responses: Record<string, JsonSchema> = {}
  for (const [status, response] of Object.entries(doc.responses))
    responses[status] = responseOf(Number(status), response, components, errorRef)
  // Whatever else stands before a route (rate limits, body limits, auth, 405s) answers so.
  responses.default = { description: 'An error', content: json(errorRef) }
  return {
    operationId,
    summary: doc.summary,
    ...(doc.description && { description: doc.description }),
    tags: [doc.tag],
    ...(doc.access === 'open' && { security: [] }),
    ...(parameters.length > 0 && { parameters }),
    ...(doc.body && { requestBody: requestBody(doc.body, components) }),
    responses,
  }
}

function queryParameters(query: z.ZodObject, components: SchemaComponents): JsonSchema[] {
  const schema = components.convert(query, 'input')
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema.required ?? []) as string[])
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' && description !== name && { description }),
      schema: rest,
    }
  })
}

const isRaw = (body: z.ZodType | RawBody): body is RawBody =>
  typeof (body as RawBody).contentType === 'string'

function requestBody(body: z.ZodType | RawBody, components: SchemaComponents): JsonSchema {
  if (isRaw(body))
    return {
      required: true,
      description: body.description,
      content: { [body.contentType]: { schema: { type: 'string', format: 'binary' } } },
    }
  // A body the route can do without (`.optional()`: a rollback on the deploy's entry) is not required.
  const optional = body.safeParse(undefined).success
  const schema = optional && 'unwrap' in body ? (body as z.ZodOptional<z.ZodType>).unwrap() : body
  return { required: !optional, content: json(components.convert(schema, 'input')) }
}

function responseOf(
  status: number,
  response: ResponseDoc,
  components: SchemaComponents,
  errorRef: JsonSchema,
): JsonSchema {
  const { description, schema, contentType } = response
  if (schema) {
    const converted = components.convert(schema, 'output')
    return { description, content: { [contentType ?? 'application/json']: { schema: converted } } }
  }
  if (contentType) {
    // Text is a string; anything else (a file, a module) is bytes of its media type.
    const raw = contentType.startsWith('text/')
      ? { type: 'string' }
      : { contentMediaType: contentType }
    return { description, content: { [contentType]: { schema: raw } } }
  }
  if (status >= 400) return { description, content: json(errorRef) }
  return { description }
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } })
