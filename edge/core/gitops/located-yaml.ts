/**
 * YAML (and JSON, a subset of it) parsed by a schema so that what is wrong names its file, its
 * field and its line: a manifest author should not have to hunt for the mistake.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { describeIssues } from '../../../shared/protocol/schema-errors'

/** Where a document is wrong, and why. */
interface DocumentProblem {
  file: string
  /** Dotted path of the field (`spec.functions.1.runtime`); empty for the document itself. */
  field: string
  /** 1-based; the line of the field, or of its nearest parent that exists. */
  line: number
  message: string
}

/** A parsed document, and the line of any field in it (for problems found after parsing). */
export type Located<T> =
  | { ok: true; value: T; lineOf: (path: (string | number)[]) => number }
  | { ok: false; problem: DocumentProblem }

/** Parses `text` as YAML and then by `schema`; anything wrong comes back located. */
export function parseLocated<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
): Located<z.output<S>> {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const syntax = doc.errors[0]
  if (syntax) {
    const offset = syntax.pos[0]
    return {
      ok: false,
      problem: {
        file,
        field: '',
        line: lines.linePos(offset).line,
        message: `${file} is not valid YAML: ${syntax.message.split('\n')[0] ?? syntax.code}`,
      },
    }
  }
  const input: unknown = doc.toJS({ maxAliasCount: 100 })
  const parsed = schema.safeParse(input)
  if (parsed.success)
    return { ok: true, value: parsed.data, lineOf: (path) => lineOf(doc, lines, path) }
  const issue = parsed.error.issues[0]
  const path = issue?.path.map((p) => (typeof p === 'number' ? p : String(p))) ?? []
  // An unknown field is pointed at itself, not at the object holding it.
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0])
  return {
    ok: false,
    problem: {
      file,
      field: path.join('.'),
      line: lineOf(doc, lines, path),
      message: `${file}: ${describeIssues(parsed.error, input)}`,
    },
  }
}

/**
 * The line of the deepest field on `path` that the document has: a key's own line (a missing
 * field: its parent's), a list item's first line.
 */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent: unknown = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true)
    const step = path[depth - 1]
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step))
      if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line
    } else if (isSeq(parent) && typeof step === 'number') {
      const item: unknown = parent.items[step]
      if (isNode(item) && item.range) return lines.linePos(item.range[0]).line
    }
  }
  const root = doc.contents
  return isNode(root) && root.range ? lines.linePos(root.range[0]).line : 1
}
