/**
 * Per-client rate limits, loopback included (`limitLoopback`): bursts of 4, then 2 a second; a
 * bearer token is a bucket of its own. Against the core in process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/app-json'
import { sleep } from '../helpers/eventually'
import { createTestApp, type TestApp } from '../helpers/test-app'

let rated: TestApp

beforeAll(async () => {
  rated = await createTestApp({
    volunteers: 0,
    config: { limits: { limitLoopback: true, rateLimit: 2, rateBurst: 4 } },
  })
})

afterAll(async () => {
  await rated.close()
})

describe('rate limits', () => {
  it('answers a burst past the limit with 429 and Retry-After, and recovers after waiting', async () => {
    const statuses: number[] = []
    let limited: Awaited<ReturnType<typeof json>> | undefined
    for (let i = 0; i < 8; i++) {
      const res = await json(rated, 'GET', '/health')
      statuses.push(res.status)
      if (res.status === 429) limited ??= res
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200])
    expect(statuses.at(-1)).toBe(429)
    expect(limited?.body).toMatchObject({ code: 'RATE_LIMITED', error: expect.any(String) })
    const retryAfter = Number(limited?.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    await sleep(retryAfter * 1000)
    expect((await json(rated, 'GET', '/health')).status).toBe(200)
  })

  it("gives a bearer token its own bucket, apart from its address's", async () => {
    while ((await json(rated, 'GET', '/health')).status !== 429);
    const bearer = { authorization: 'Bearer limits-test-token' }
    for (let i = 0; i < 4; i++)
      expect((await json(rated, 'GET', '/health', undefined, bearer)).status).toBe(200)
    const tokenLimited = await json(rated, 'GET', '/health', undefined, bearer)
    expect(tokenLimited.status).toBe(429)
    expect(tokenLimited.headers.get('retry-after')).toMatch(/^\d+$/)
    // Another token is another bucket; the address is still limited on its own.
    const other = { authorization: 'Bearer another-token' }
    expect((await json(rated, 'GET', '/health', undefined, other)).status).toBe(200)
    expect((await json(rated, 'GET', '/health')).status).toBe(429)
  })
})
