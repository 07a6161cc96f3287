/**
 * A route table's OpenAPI entries, read the way the app finds them: a request is routed by Hono
 * and the declaration of the route that matched it is asked for its `doc`. Tests use it to list a
 * table's entries (every declared route must have one) and to check a live answer against the
 * entry of the route that gave it.
 */
import { Hono } from 'hono'
import { expect } from 'vitest'
import type { z } from 'zod'
import type { RouteDoc, Undocumented } from '../../edge/core/routes/route-doc'
import { routeInfoOf, type DeclaredRoute } from '../../edge/core/routes/route-table'

/** What is read of a route table: its routes, and mounting it as a front (no deps). */
export interface Table {
  routes(): DeclaredRoute[]
  mount(app: Hono, deps: undefined): void
}

export interface DocumentedRoute {
  method: string
  path: string
  doc: RouteDoc | Undocumented | undefined
}

/** Routes a request through `table` (mounted as a front, so no handler runs) to its entry. */
async function entryOf(
  table: Table,
  method: string,
  url: string,
): Promise<RouteDoc | Undocumented | undefined> {
  const app = new Hono()
  let found: RouteDoc | Undocumented | undefined
  let matched = false
  app.use('*', async (c) => {
    const info = routeInfoOf(c)
    matched = info !== undefined
    found = info?.doc
    return c.body(null, 204)
  })
  table.mount(app, undefined)
  await app.request(url, { method })
  if (!matched) throw new Error(`no route of the table answers ${method} ${url}`)
  return found
}

/** A concrete URL for a declared path: `:name` and a trailing `*` filled with sample values. */
const sampleUrl = (path: string) =>
  path.replace(/:([A-Za-z_]+)/g, (_, name: string) => `${name}1`).replace(/\*$/, 'a/b.txt')

/** Every declared route of `table` with its entry (undefined where it has none). */
export async function docsOf(table: Table): Promise<DocumentedRoute[]> {
  const out: DocumentedRoute[] = []
  for (const { method, path } of table.routes()) {
    const asked = method === 'ALL' ? 'GET' : method
    out.push({ method, path, doc: await entryOf(table, asked, sampleUrl(path)) })
  }
  return out
}

const isDoc = (doc: RouteDoc | Undocumented | undefined): doc is RouteDoc =>
  doc !== undefined && !('hidden' in doc)

/**
 * Checks a live answer against the entry of the route that gave it: its status is one the entry
 * lists, a JSON body parses with the schema listed for that status, and an error without a schema
 * is the API's `{"error", "code"}` unless the entry gives it a media type of its own. Returns the parsed body (undefined when it has none).
 */
async function expectDocumented(
  table: Table,
  method: string,
  url: string,
  res: Response,
): Promise<unknown> {
  const doc = await entryOf(table, method, url)
  if (!isDoc(doc)) throw new Error(`${method} ${url} has no OpenAPI entry`)
  const listed = doc.responses[res.status]
  const text = await res.text()
  expect(listed, `${method} ${url} answered ${res.status} (${text.slice(0, 300)})`).toBeDefined()
  if (!listed) return undefined
  if (listed.schema) return parseOrFail(listed.schema, JSON.parse(text), `${method} ${url}`)
  // An error documented with a media type of its own is not the API's JSON (a 416 has no body).
  if (res.status >= 400 && !listed.contentType) {
    const body = JSON.parse(text) as Record<string, unknown>
    expect(typeof body.error, text).toBe('string')
    expect(typeof body.code, text).toBe('string')
    return body
  }
  return text === '' ? undefined : text
}

function parseOrFail(schema: z.ZodType, body: unknown, what: string): unknown {
  const parsed = schema.safeParse(body)
  if (!parsed.success)
    throw new Error(`${what}: the body does not match its documented schema: ${parsed.error.message}
${JSON.stringify(body).slice(0, 2000)}`)
  return parsed.data
}

type Fetch = (path: string, init?: RequestInit) => Promise<Response>

/**
 * Sends a request through `fetch` (a real app) and checks the answer against the entry of the
 * route in `table` that answers it; a plain object body is sent as JSON.
 */
export async function documentedCall(
  table: Table,
  fetch: Fetch,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const json = body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string'
  const res = await fetch(url, {
    method,
    headers: { ...(json && { 'content-type': 'application/json' }), ...headers },
    body: json ? JSON.stringify(body) : (body as BodyInit | undefined),
  })
  const status = res.status
  return { status, body: await expectDocumented(table, method, url, res) }
}

/** A token from the admin of an app with auth on, for `rights` on `namespaces` only. */
/**
 * `documentedCall` on one route table against a test app, as a caller with `token` (none when
 * undefined).
 */
export function documentedCaller(table: Table) {
  return (
    on: { fetch: Fetch },
    method: string,
    url: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: unknown }> =>
    documentedCall(
      table,
      on.fetch,
      method,
      url,
      body,
      token === undefined ? {} : { authorization: `Bearer ${token}` },
    )
}

export async function mintToken(
  fetch: Fetch,
  adminToken: string,
  namespaces: string[],
  rights: string[],
): Promise<string> {
  const res = await fetch('/api/tokens', {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ namespaces, rights }),
  })
  if (res.status !== 201) throw new Error(`minting a token failed: ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}
