/**
 * Security: path traversal on every path-taking route, sent byte for byte to the real CLI with
 * auth on (fetch would normalise the paths, and the HTTP server's own handling of raw targets is
 * part of the defence). Every attempt must get a clean 4xx — never a 5xx, never a hang, never server internals — and
 * leave the data directory and every namespace as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  attackProcess,
  expectCleanError,
  itChangedNothing,
  MARKER,
  ok,
  type AttackTarget,
} from '../helpers/attack-target'
import { rawRequest } from '../helpers/raw-http'

let t: AttackTarget & { url: string }

beforeAll(async () => {
  t = await attackProcess()
})

afterAll(async () => {
  await t?.stop()
})

describe('path traversal', () => {
  /** The data directory's secrets to read or overwrite, and a new file to create beside them. */
  const TARGET_FILES = ['admin-token', 'token-secret', 'zerverless.db', MARKER]
  /** Each `{f}` becomes one of TARGET_FILES. */
  const PAYLOADS = [
    '../../{f}',
    '../../../{f}',
    'a/../../../{f}',
    '..%2f..%2f{f}',
    '..%2F..%2F..%2F{f}',
    '%2e%2e/%2e%2e/{f}',
    '%2e%2e%2f%2e%2e%2f{f}',
    '.%2e/.%2e/{f}',
    '%252e%252e/%252e%252e/{f}',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/{f}',
    '..\\..\\{f}',
    '..%5c..%5c{f}',
    './{f}',
    '/{f}',
    '%2f{f}',
    '/etc/passwd',
    `${'%2F'.repeat(3)}etc%2Fpasswd`,
    'a%00b',
    'a\u0000b',
    'a%0d%0aSet-Cookie:%20x=1',
    'a'.repeat(600),
    `${'a'.repeat(200)}/`.repeat(8) + 'x',
  ]

  const targets = () => {
    const deploy = JSON.stringify({ runtime: 'js', code: 'function handle() {}' })
    return [
      ['GET', (p: string) => `/api/storage/alice/${p}`],
      ['PUT', (p: string) => `/api/storage/alice/${p}`, 'PWNED'],
      ['DELETE', (p: string) => `/api/storage/alice/${p}`],
      ['GET', (p: string) => `/static/alice/${p}`],
      ['GET', (p: string) => `/api/db/alice/${p}`],
      ['PUT', (p: string) => `/api/db/alice/${p}`, '{"value":"PWNED"}'],
      ['DELETE', (p: string) => `/api/db/alice/${p}`],
      ['POST', (p: string) => `/api/deploy/alice/${p}`, deploy],
      ['GET', (p: string) => `/api/deploy/alice/${p}`],
      ['DELETE', (p: string) => `/api/deploy/alice/${p}`],
      ['GET', (p: string) => `/api/jobs/${t.aliceJob}/outputs/${p}`],
      ['PUT', (p: string) => `/api/jobs/${t.aliceJob}/outputs/${p}`, 'PWNED'],
      ['GET', (p: string) => `/api/services/standalone/${t.bobService}/files/${p}`],
      ['GET', (p: string) => `/volunteer/${p}`],
      ['GET', (p: string) => `/alice/${p}`],
    ] as [string, (p: string) => string, string?][]
  }

  it('refuses every traversal on every path-taking route with a clean 4xx', async () => {
    const secrets = [t.admin, Buffer.from(t.secret).toString(), 'SQLite format 3']
    const shell = (await ok(t.as(undefined).get('/volunteer/'))).text
    const paths = new Set(TARGET_FILES.flatMap((f) => PAYLOADS.map((p) => p.replace('{f}', f))))
    for (const p of paths)
      for (const [method, target, body] of targets()) {
        // Decoded once, "%252e" is the literal name "%2e": a file or key inside the namespace
        // that may well be created. Here it must only never be read as "..".
        if (p.includes('%25') && method !== 'GET' && method !== 'DELETE') continue
        const res = await rawRequest(t.url, {
          method,
          target: target(p),
          headers: {
            authorization: `Bearer ${t.admin}`,
            ...(body?.startsWith('{') && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body }),
        })
        const label = `${method} ${JSON.stringify(target(p)).slice(0, 120)}`
        // The volunteer page is a single-page app: a path it does not have, with no file
        // extension, is one of its pages, and gets the app's shell — never any other file.
        if (res.status === 200 && target(p).startsWith('/volunteer/')) {
          expect(res.body, label).toBe(shell)
          continue
        }
        expectCleanError(res, label, t.dataDir)
        for (const s of secrets) expect(res.body, `${label} reads a secret`).not.toContain(s)
        expect(res.headers['set-cookie'], label).toBeUndefined()
      }
  })

  it('keeps even a valid token for the namespace inside it', async () => {
    const alice = t.tokens.alice!.token
    for (const target of [
      '/api/storage/alice/../bob/secret.txt',
      '/api/storage/alice/%2e%2e/bob/secret.txt',
      '/api/storage/alice/..%2fbob%2fsecret.txt',
      '/static/alice/../bob/secret.txt',
      '/api/db/alice/../bob/secret',
      '/api/deploy/alice/../bob/fn',
      '/alice/../api/tokens',
      '/api/db/alice/%2e%2e%2f..%2fbob%2fsecret',
    ]) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await rawRequest(t.url, {
          method,
          target,
          headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
          ...(method === 'PUT' && { body: '{"value":"PWNED"}' }),
        })
        expectCleanError(res, `${method} ${target}`, t.dataDir)
        expect(res.body).not.toContain('bob-secret')
      }
    }
  })

  itChangedNothing(() => t)
})
