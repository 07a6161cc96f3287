/**
 * Security: fuzzed JSON bodies on every route that takes one, against the core in this process with
 * auth on: whatever arrives, the answer is never a 5xx (but for capacity) and names no internals.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attackApp, call, expectNoInternals, type AttackTarget } from '../helpers/attack-target'

let t: AttackTarget

beforeAll(async () => {
  t = await attackApp()
})

afterAll(async () => {
  await t?.stop()
})

describe('fuzzed JSON bodies', () => {
  /** Each route with a body it accepts; fuzzing mutates that body or replaces it outright. */
  const routes: [string, string, Record<string, unknown>][] = [
    ['POST', '/api/jobs', { job_type: 'js', code: '1', namespace: 'fuzz', timeout_seconds: 5 }],
    [
      'POST',
      '/api/jobs/batch',
      { job_type: 'lua', code: 'return 1', namespace: 'fuzz', inputs: [{ n: 1 }] },
    ],
    ['POST', '/api/deploy/fuzz/fn', { runtime: 'js', code: 'function handle() { return {} }' }],
    ['PUT', '/api/db/fuzz/key', { value: { a: [1, 'two'] }, ttl: 60 }],
    [
      'POST',
      '/api/services/standalone/from-local',
      { service_name: 'fuzz-svc', executable_path: '/bin/true', namespace: 'fuzz' },
    ],
    ['POST', '/api/tokens', { namespaces: ['fuzz'], rights: ['db'], expires_in_seconds: 60 }],
    [
      'PUT',
      '/api/cron/fuzz/tick',
      {
        schedule: '0 0 1 1 *',
        timezone: 'UTC',
        missed: 'skip',
        target: { job: { job_type: 'lua', code: 'return 1' } },
      },
    ],
  ]
  /** 503s that are answers, not failures: here no runner is connected for services. */
  const CAPACITY = new Set(['NO_RUNNERS'])

  async function expectHandled(method: string, route: string, body: string): Promise<void> {
    const res = await call(t.http, method, route, {
      token: t.admin,
      body,
      headers: { 'content-type': 'application/json' },
    })
    const label = `${method} ${route} ${body.slice(0, 200)} → ${res.status} ${res.text.slice(0, 200)}`
    if (res.status === 503) expect(CAPACITY.has(res.body.code), label).toBe(true)
    else expect(res.status, label).toBeLessThan(500)
    if (res.status >= 400) {
      expect(typeof res.body.error, label).toBe('string')
      expect(typeof res.body.code, label).toBe('string')
      expectNoInternals(res, label, t.dataDir)
    }
  }

  const mutated = (valid: Record<string, unknown>) =>
    fc
      .record({
        drop: fc.subarray(Object.keys(valid)),
        set: fc.dictionary(
          fc.oneof(fc.constantFrom(...Object.keys(valid)), fc.string({ maxLength: 12 })),
          fc.jsonValue({ maxDepth: 4 }),
          { maxKeys: 4 },
        ),
      })
      .map(({ drop, set }) => {
        const body: Record<string, unknown> = { ...valid, ...set }
        for (const key of drop) if (!(key in set)) delete body[key]
        return JSON.stringify(body)
      })

  const anything = fc.oneof(
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.string({ maxLength: 200 }),
    fc.nat({ max: 200 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.nat({ max: 200 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  )

  for (const [method, route, valid] of routes) {
    it(`never fails on ${method} ${route}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(mutated(valid), anything), (body) =>
          expectHandled(method, route, body),
        ),
        { numRuns: 120 },
      )
    })
  }

  it('never fails on a token lacking the namespace either', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(routes[0]![2]), async (body) => {
        const res = await call(t.http, 'POST', '/api/jobs', {
          token: t.tokens.alice!.token,
          body,
        })
        expect(res.status, `${body} → ${res.text}`).toBeLessThan(500)
      }),
      { numRuns: 60 },
    )
    expect(t.output()).not.toMatch(/unhandled error/)
  })
})
