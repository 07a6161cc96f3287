/**
 * `/api/db/{ns}/{key}`: the seed's key-value API, one database per namespace. PUT {"value", "ttl"?},
 * GET → {"key","value","exists"}, DELETE, and GET /api/db/{ns}/?prefix=&limit=&cursor= → keys.
 */
import type { Context } from 'hono'
import { z } from 'zod'
import { guardNamespace } from '../auth/access'
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'
import { HttpError, badRequest } from '../http-error'
import type { KvStore } from '../kv/kv-store'
import { checkKey, MAX_VALUE_BYTES } from '../kv/kv-limits'
import { namespaceAt } from '../rooms/owner'
import { requestSegments } from './path-segments'
import { parseBody, parseQuery } from './request-body'
import { RouteTable } from './route-table'
import { KvEntry, KvKeys, KvMissing, KvStored } from './data-schemas'

const PutBody = z.strictObject({
  value: z.json().optional(),
  ttl: z
    .number({ error: 'must be a number of seconds' })
    .positive({ error: 'must be a positive number of seconds' })
    .max(10 * 365 * 24 * 3600, { error: 'must be at most ten years' })
    .optional(),
})

const ListQuery = z.object({
  prefix: z.string().max(512).optional(),
  cursor: z.string().max(512).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number between 1 and 1000' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: 'must be between 1 and 1000' })
        .max(1000, { error: 'must be between 1 and 1000' }),
    )
    .optional(),
})

export interface DbRouteDeps {
  kv: KvStore
  durable: () => Promise<void>
}

/** A namespace's database lives in its room. */
const owned = { owner: namespaceAt(2) }
const tag = 'KV'
const NS = { ns: 'The namespace' }
const KEY = { ...NS, key: 'The key (one path segment)' }
const listing = (c: Context, { kv }: DbRouteDeps) =>
  list(requestSegments(c)[2] ?? '', kv, parseQuery(c, ListQuery), c)

export const dbRoutes = new RouteTable<DbRouteDeps>()
  .use('/api/db/*', guardNamespace('db'))
  .get(
    '/api/db/:ns',
    {
      ...owned,
      doc: {
        summary: 'List keys',
        description: 'In order, from `prefix`; page on with the answered `cursor`.',
        tag,
        params: NS,
        query: ListQuery,
        responses: {
          200: { description: 'A page of keys', schema: KvKeys },
          400: { description: 'INVALID_REQUEST' },
          403: { description: 'FORBIDDEN: the token does not cover the namespace' },
        },
      },
    },
    listing,
  )
  .get(
    '/api/db/:ns/',
    { ...owned, doc: { hidden: 'GET /api/db/{ns} with a trailing slash' } },
    listing,
  )
  .get(
    '/api/db/:ns/:key',
    {
      ...owned,
      doc: {
        summary: 'Read a key',
        tag,
        params: KEY,
        responses: {
          200: { description: 'The value', schema: KvEntry },
          403: { description: 'FORBIDDEN: the token does not cover the namespace' },
          404: { description: 'KEY_NOT_FOUND (with exists: false)', schema: KvMissing },
        },
      },
    },
    (c, { kv }) => {
      const { ns, key } = params(requestSegments(c))
      const entry = kv.get(ns, key)
      if (!entry) {
        return c.json(
          {
            key,
            value: null,
            exists: false,
            error: `no key '${key}' in namespace '${ns}'`,
            code: 'KEY_NOT_FOUND',
          },
          404,
        )
      }
      return c.json({
        key,
        value: entry.value,
        exists: true,
        ...(entry.expires_at !== null && { expires_at: new Date(entry.expires_at).toISOString() }),
      })
    },
  )
  .put(
    '/api/db/:ns/:key',
    {
      ...owned,
      doc: {
        summary: 'Write a key',
        description: '`value` is any JSON; `ttl` in seconds makes it expire.',
        tag,
        params: KEY,
        body: PutBody,
        responses: {
          200: { description: 'Stored', schema: KvStored },
          400: { description: 'INVALID_REQUEST' },
          403: { description: 'FORBIDDEN: the token does not cover the namespace' },
          413: { description: 'VALUE_TOO_LARGE' },
        },
      },
    },
    async (c, { kv, durable }) => {
      const { ns, key } = params(requestSegments(c))
      const body = await parseBody(c, PutBody)
      const json = JSON.stringify(body.value ?? null)
      if (new TextEncoder().encode(json).length > MAX_VALUE_BYTES) {
        throw new HttpError(
          413,
          'VALUE_TOO_LARGE',
          `value is over ${MAX_VALUE_BYTES} bytes of JSON`,
          { field: 'value' },
        )
      }
      kv.set(ns, key, json, body.ttl)
      await durable()
      return c.json({ status: 'ok', key })
    },
  )
  .delete(
    '/api/db/:ns/:key',
    {
      ...owned,
      doc: {
        summary: 'Delete a key',
        tag,
        params: KEY,
        responses: {
          204: { description: 'Deleted' },
          403: { description: 'FORBIDDEN: the token does not cover the namespace' },
          404: { description: 'KEY_NOT_FOUND' },
        },
      },
    },
    async (c, { kv, durable }) => {
      const { ns, key } = params(requestSegments(c))
      if (!kv.delete(ns, key))
        throw new HttpError(404, 'KEY_NOT_FOUND', `no key '${key}' in namespace '${ns}'`)
      await durable()
      return c.body(null, 204)
    },
  )
  // Keys are one path segment: anything deeper is a mistake worth naming.
  .all(
    '/api/db/:ns/:key/*',
    { ...owned, doc: { hidden: 'a refusal: keys are one path segment' } },
    () => {
      throw badRequest('a key must be a single path segment (no "/")', 'key')
    },
  )

/** `/api/db/{ns}/{key}`, each segment decoded once. */
function params(segments: string[]): { ns: string; key: string } {
  const [, , ns = '', key = ''] = segments
  if (!NAMESPACE_PATTERN.test(ns))
    throw badRequest(
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    )
  checkKey(key)
  return { ns, key }
}

function list(
  ns: string,
  kv: KvStore,
  query: z.infer<typeof ListQuery>,
  c: { json: (body: unknown) => Response },
): Response {
  if (!NAMESPACE_PATTERN.test(ns))
    throw badRequest(
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    )
  const page = kv.list(ns, query.prefix ?? '', query.limit ?? 100, query.cursor)
  return c.json({ keys: page.keys, count: page.keys.length, cursor: page.cursor })
}
