/** Turns schema failures into one sentence that names the field, for API callers and volunteers. */
import type { z } from 'zod'

/**
 * `timeout_seconds must be between 1 and 3600; got 0` — the first problem, with its path. Pass the
 * parsed input so that a missing field reads "is required" rather than as a type error.
 */
export function describeIssues(error: z.ZodError, input?: unknown): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid input'
  return describeIssue(issue, input)
}

function describeIssue(issue: z.core.$ZodIssue, input?: unknown): string {
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ')
    const where = path ? ` in ${path}` : ''
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`
  }
  if (
    issue.code === 'invalid_type' &&
    input !== undefined &&
    valueAt(input, issue.path) === undefined
  ) {
    return `${path || 'body'} is required`
  }
  if (!path) return issue.message
  // Our own messages are written to follow the field name ("must be ..."); zod's are sentences.
  return /^(must|is|are|has) /.test(issue.message)
    ? `${path} ${issue.message}`
    : `${path}: ${issue.message}`
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

/** The top-level field a failure is about, for error bodies that point at it. */
export function issueField(error: z.ZodError): string | undefined {
  const first = error.issues[0]
  if (!first) return undefined
  if (first.code === 'unrecognized_keys') return first.keys[0]
  const head = first.path[0]
  return head === undefined ? undefined : String(head)
}
