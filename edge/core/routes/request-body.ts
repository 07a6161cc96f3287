/** Reading and validating request bodies and queries: every failure is a 400 naming the field. */
import type { Context } from 'hono'
import type { z } from 'zod'
import { jsonDepth } from '../../../shared/json'
import { describeIssues, issueField } from '../../../shared/schema-errors'
import { badRequest } from '../http-error'

const MAX_BODY_DEPTH = 64

/** Parses the body as JSON whatever the Content-Type says (curl -d sends form encoding). */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text()
  if (!text.trim()) throw badRequest('the request body is empty; send a JSON object')
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
