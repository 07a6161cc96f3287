/** What a verb prints: exactly one JSON document with `--json`, a human table or lines otherwise. */

/** Where a verb writes; tests and `--json` both rely on stdout carrying nothing else. */
export interface Output {
  json: boolean
  /** One JSON value with `--json`, or the human form. */
  print(value: unknown, human: () => string): void
  /** Human-only lines (progress, notes): to stderr, so that stdout stays the result. */
  note(line: string): void
}

export function output(json: boolean): Output {
  return {
    json,
    print: (value, human) => {
      const text = json ? JSON.stringify(value, null, 2) : human()
      if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    },
    note: (line) => {
      if (!json) process.stderr.write(`${line}\n`)
    },
  }
}

/** Rows as aligned columns under a header; an empty list says so instead. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  if (rows.length === 0) return '(none)'
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c)))),
  ]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** A JSON value as a person reads it: strings bare, the rest as compact JSON. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}
