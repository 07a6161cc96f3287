/**
 * Security: oversized bodies (declared and chunked), oversized headers and slow senders, against
 * the real CLI with auth on and `--request-timeout 2`: the HTTP server is what is attacked.
 * Every attempt must get a clean 4xx — never a 5xx, never a hang, never server internals — and
 * leave the data directory and every namespace as they were.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  attackProcess,
  expectCleanError,
  itChangedNothing,
  MiB,
  ok,
  type AttackTarget,
} from '../helpers/attack-target'
import { eventually } from '../helpers/eventually'
import { rawRequest, slowRequest } from '../helpers/raw-http'

let t: AttackTarget & { url: string }

beforeAll(async () => {
  t = await attackProcess()
})

afterAll(async () => {
  await t?.stop()
})

describe('oversized requests and slow senders', () => {
  /** The largest module body the wasm routes take (10 MiB of module in base64, plus 1 KiB). */
  const MODULE_LIMIT = Math.ceil((10 * MiB * 4) / 3) + 1024

  it('answers 413 to a body over the limit on every route that takes one', async () => {
    const routes: [string, string, number][] = [
      ['POST', '/api/jobs', MiB],
      ['POST', '/api/jobs/batch', MiB],
      ['POST', '/api/deploy/alice/big', MiB],
      ['POST', '/api/deploy/alice/fn/rollback', MiB],
      ['PUT', '/api/db/alice/big', MiB],
      ['POST', '/api/services/standalone/from-local', MiB],
      ['POST', '/api/services/standalone/from-git', MiB],
      ['POST', '/api/tokens', MiB],
      ['DELETE', `/api/jobs/${t.aliceJob}`, MiB],
      ['POST', '/alice/fn', MiB],
      ['PUT', '/alice/fn', MiB],
      ['POST', '/api/wasm', MODULE_LIMIT],
      ['POST', `/api/services/standalone/${t.bobService}/run`, MODULE_LIMIT],
      ['PUT', '/api/storage/alice/big.bin', 2 * MiB],
    ]
    for (const [method, target, limit] of routes) {
      const body = Buffer.alloc(limit + 1, '{')
      // With `Connection: close`: the server answers, then must not reset the connection
      // under its answer while the rest of the body is still coming (see lingering-close.ts).
      const declared = await rawRequest(t.url, {
        method,
        target,
        headers: { authorization: `Bearer ${t.admin}`, 'content-type': 'application/json' },
        body,
      })
      expect(declared.status, `${method} ${target} → ${declared.body}`).toBe(413)
      expectCleanError(declared, `${method} ${target}`)
    }
  })

  it('answers 413 to a chunked body that grows past the limit', async () => {
    const routes: [string, string, number][] = [
      ['POST', '/api/jobs', MiB],
      ['PUT', '/api/db/alice/big', MiB],
      ['POST', '/api/deploy/alice/big', MiB],
      ['PUT', '/api/storage/alice/big.bin', 2 * MiB],
    ]
    for (const [method, target, limit] of routes) {
      const chunk = Buffer.alloc(64 * 1024, '[')
      const pieces: Buffer[] = []
      for (let sent = 0; sent <= limit; sent += chunk.length)
        pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
      pieces.push(Buffer.from('0\r\n\r\n'))
      const res = await rawRequest(t.url, {
        method,
        target,
        keepAlive: true,
        headers: {
          authorization: `Bearer ${t.admin}`,
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        },
        body: Buffer.concat(pieces),
      })
      expect(res.status, `${method} ${target} chunked → ${res.body}`).toBe(413)
      expectCleanError(res, `${method} ${target} chunked`)
    }
    expect(readdirSync(path.join(t.dataDir, 'storage', '.uploads'))).toEqual([])
  })

  it('answers 431 to headers over the limit', async () => {
    const res = await rawRequest(t.url, {
      target: '/health',
      headers: { 'x-padding': 'a'.repeat(20 * 1024) },
    })
    expect(res.status).toBe(431)
  })

  it('cuts off clients that send headers or a body too slowly (--request-timeout 2)', async () => {
    const auth = `Authorization: Bearer ${t.admin}\r\n`
    const slow = (head: string, drip: string) => slowRequest(t.url, head, drip, 200, 8_000)
    const [headers, jobBody, upload] = await Promise.all([
      slow('GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n'),
      slow(
        `POST /api/jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"job_type":"js","code":"`,
        'a',
      ),
      slow(
        `PUT /api/storage/alice/slow.bin HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100000\r\n\r\n`,
        'a',
      ),
    ])
    for (const [what, cut] of Object.entries({ headers, jobBody, upload })) {
      // Cut off near the 2 s timeout (Node checks every 500 ms here), not at the 8 s limit.
      expect(cut.elapsedMs, what).toBeGreaterThan(1_500)
      expect(cut.elapsedMs, what).toBeLessThan(5_000)
      if (cut.response) expect(cut.response.status, what).toBe(408)
    }
    await ok(t.as(undefined).get('/health'))
    expect((await t.as(t.admin).get('/api/storage/alice/slow.bin')).status).toBe(404)
    await eventually(
      () => readdirSync(path.join(t.dataDir, 'storage', '.uploads')).length === 0 || undefined,
      5_000,
      'the cut-off upload to be cleaned up',
    )
  })

  it('still takes a body sent at a normal pace', async () => {
    const res = await rawRequest(t.url, {
      target: '/api/db/alice/key',
      headers: { authorization: `Bearer ${t.admin}` },
    })
    expect(res.status).toBe(200)
  })

  itChangedNothing(() => t)
})
