/**
 * Reading and validating request bodies and queries: every failure is a 400 naming the field. A
 * body is read only for a caller some check in auth/access.ts accepted, and counted against the
 * route's limit as it arrives (body-limit.ts): that order is enforced here, for every route.
 */
import type { Context } from 'hono'
import type { z } from 'zod'
import { jsonDepth } from '../../../shared/protocol/json'
import { describeIssues, issueField } from '../../../shared/protocol/schema-errors'
import { isCallerAccepted } from '../auth/access'
import { badRequest } from '../http-error'
import { bodyLimitOf, tooLarge } from './body-limit'

const MAX_BODY_DEPTH = 64

/** The body as it streams in, for routes whose store enforces its own size limit. */
export function bodyStream(c: Context): ReadableStream<Uint8Array> {
  checkCaller(c)
  return (
    c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
  )
}

/** The whole body, refused with 413 as soon as it grows past the route's limit. */
export async function readBytes(c: Context): Promise<Uint8Array> {
  checkCaller(c)
  const limit = bodyLimitOf(c)
  if (!limit) throw new Error(`no body limit is set for ${c.req.method} ${c.req.path}`)
  // A body of a declared length within the limit (body-limit.ts refused larger ones) is read at
  // once: no stream to pull chunk by chunk (@hono/node-server then reads the socket directly, which
  // costs a job submission less CPU), and the HTTP parser delivers no more than was declared.
  if (c.req.header('content-length') !== undefined && !c.req.header('transfer-encoding')) {
    const whole = new Uint8Array(await c.req.raw.arrayBuffer())
    if (whole.byteLength > limit.maxBytes) throw tooLarge(limit)
    return whole
  }
  const body = c.req.raw.body
  if (!body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    // The rest stays unread: the 413 says Connection: close.
    if (size > limit.maxBytes) throw tooLarge(limit)
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** The body as text (UTF-8). */
export async function readText(c: Context): Promise<string> {
  return new TextDecoder().decode(await readBytes(c))
}

/**
 * Parses the body as JSON whatever the Content-Type says (curl -d sends form encoding). An empty
 * body is refused, or stands for `ifEmpty` where the route has a meaning for it.
 */
export async function readJson(c: Context, ifEmpty?: unknown): Promise<unknown> {
  const text = await readText(c)
  if (!text.trim()) {
    if (ifEmpty !== undefined) return ifEmpty
    throw badRequest('the request body is empty; send a JSON object')
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (err) {
    throw badRequest(
      `the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  if (jsonDepth(body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw badRequest(`the request body nests deeper than ${MAX_BODY_DEPTH} levels`)
  }
  return body
}

/** A route that reads its body before checking its caller is a bug; this makes it a loud one. */
function checkCaller(c: Context): void {
  if (!isCallerAccepted(c))
    throw new Error(`${c.req.method} ${c.req.path} read its body before checking its caller`)
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  throw badRequest(describeIssues(parsed.error, input), issueField(parsed.error))
}

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const body = await readJson(c)
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the request body must be a JSON object')
  }
  return parseWith(schema, body)
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseWith(schema, c.req.query())
}
