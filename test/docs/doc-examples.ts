/**
 * Reads the runnable examples out of a markdown page (the README, a docs/ page) and runs them:
 * `curl` lines of ```bash blocks, the answer a `# →` (or, for an error, `# ✗ <status>`) line
 * after one promises, and the files a page writes with `cat > FILE <<'EOF'`.
 */
import { execFileSync } from 'node:child_process'
import { expect } from 'vitest'

export interface Example {
  command: string
  /** What the answer must be: text, or JSON whose fields must match. */
  expect?: string
  /** An error the example shows on purpose: its status. */
  errorStatus?: number
}

const BASH_BLOCK = /```bash\n([\s\S]*?)```/g

/** curl commands (joined across `\` continuations) from the page's bash blocks. */
export function examplesOf(page: string): Example[] {
  const found: Example[] = []
  for (const block of page.matchAll(BASH_BLOCK)) {
    const lines = (block[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n')
    for (const line of lines) {
      if (line.startsWith('curl '))
        found.push({ command: line.replace(/\s+#(?!\s*[→✗]).*$/, '').trim() })
      const last = found.at(-1)
      const arrow = /^# → (.*)$/.exec(line)
      if (arrow && last) last.expect = arrow[1]
      const cross = /^# ✗ (\d{3}) (.*)$/.exec(line)
      if (cross && last) {
        last.errorStatus = Number(cross[1])
        last.expect = cross[2]
      }
    }
  }
  return found
}

/** curl lines of bash blocks that do not target the example server, which the test cannot run. */
export function unrunnable(page: string, server = 'http://localhost:8000'): string[] {
  return examplesOf(page)
    .map((e) => e.command)
    .filter((command) => !command.includes(server))
}

/** The files a page writes with `cat > FILE <<'EOF'`, by the name it gives them. */
export function filesOf(page: string): Map<string, string> {
  const files = new Map<string, string>()
  for (const block of page.matchAll(BASH_BLOCK))
    for (const match of (block[1] ?? '').matchAll(/cat > (\S+) <<'EOF'\n([\s\S]*?)\nEOF\n/g))
      files.set(match[1] as string, `${match[2]}\n`)
  return files
}

/**
 * A `# →` line as a value to match: `"…"` is any string, `"eyJ…"` one that starts so, a bare `…`
 * any value, `, …}` more keys.
 */
function wantedOf(text: string): unknown {
  return JSON.parse(
    text.replace(/, …\}/g, '}').replace(/: …/g, ': "@@ANY@@"').replace(/"…"/g, '"@@STRING@@"'),
  )
}

/** The answer matches what the page shows: the fields shown, recursively; text exactly. */
export function expectAnswer(shown: string, body: string): void {
  if (!shown.startsWith('{')) {
    // What a program printed ends with its newline; the page shows the line.
    expect(body.replace(/\n$/, '')).toBe(shown)
    return
  }
  expectFields(wantedOf(shown), JSON.parse(body) as unknown, '')
}

function expectFields(wanted: unknown, got: unknown, at: string): void {
  if (wanted === '@@ANY@@') return expect(got, at).toBeDefined()
  if (wanted === '@@STRING@@') return expect(typeof got, at).toBe('string')
  if (typeof wanted === 'string' && wanted.endsWith('…'))
    return expect(String(got), at).toMatch(new RegExp(`^${escape(wanted.slice(0, -1))}`))
  if (Array.isArray(wanted)) {
    expect(Array.isArray(got), at).toBe(true)
    // A list of placeholders shows that there is a list, not how long it is.
    if (wanted.every((item) => item === '@@STRING@@')) return
    expect((got as unknown[]).length, at).toBe(wanted.length)
    wanted.forEach((item, i) => expectFields(item, (got as unknown[])[i], `${at}[${i}]`))
    return
  }
  if (typeof wanted === 'object' && wanted !== null) {
    expect(typeof got, at).toBe('object')
    for (const [key, value] of Object.entries(wanted))
      expectFields(value, (got as Record<string, unknown>)[key], `${at}.${key}`)
    return
  }
  expect(got, at).toEqual(wanted)
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Runs one example with curl (quiet, the status appended) and splits the answer from its status. */
export function runCurl(
  command: string,
  env: Record<string, string> = {},
): { status: number; body: string } {
  const out = execFileSync('bash', ['-c', `${command} -s -w '\\n%{http_code}'`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
  const lines = out.trim().split('\n')
  return { status: Number(lines.at(-1)), body: lines.slice(0, -1).join('\n') }
}
