/** Turns schema failures into one sentence that names the field, for API callers and volunteers. */
import type { z } from 'zod'

/** `timeout_seconds: must be at most 3600` — the first problem, with its path. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid input'
  return describeIssue(issue)
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ')
    const where = path ? ` in ${path}` : ''
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${path || 'body'} is required`
  }
  return path ? `${path}: ${issue.message}` : issue.message
}

/** The top-level field a failure is about, for error bodies that point at it. */
export function issueField(error: z.ZodError): string | undefined {
  const first = error.issues[0]
  if (!first) return undefined
  if (first.code === 'unrecognized_keys') return first.keys[0]
  const head = first.path[0]
  return head === undefined ? undefined : String(head)
}
