import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { rateLimit, type RateLimitOptions, type RateLimitScope } from './rate-limit'

function appWith(options: Partial<RateLimitOptions> = {}) {
  let now = 0
  const refused: RateLimitScope[] = []
  const app = new Hono()
  app.use(
    '*',
    rateLimit({
      rate: 1,
      burst: 2,
      limitLoopback: false,
      clientAddress: (c) => c.req.header('x-test-address'),
      hash: (text) => `h(${text.length})${text}`,
      onRateLimited: (scope) => refused.push(scope),
      now: () => now,
      ...options,
    }),
  )
  // Stands in for authentication: a token other than "good" is turned down.
  app.get('/', (c) => {
    const auth = c.req.header('authorization')
    return auth && auth !== 'Bearer good' ? c.json({ code: 'UNAUTHORIZED' }, 401) : c.text('ok')
  })
  const get = (address: string, token?: string) =>
    app.request('/', {
      headers: {
        'x-test-address': address,
        ...(token && { authorization: `Bearer ${token}` }),
      },
    })
  return { get, refused, advance: (ms: number) => (now += ms) }
}

describe('rateLimit', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the burst, and recovers', async () => {
    const { get, refused, advance } = appWith()
    expect((await get('203.0.113.1')).status).toBe(200)
    expect((await get('203.0.113.1')).status).toBe(200)
    const limited = await get('203.0.113.1')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' })
    expect(refused).toEqual(['ip'])
    expect((await get('203.0.113.2')).status).toBe(200)
    advance(1_000)
    expect((await get('203.0.113.1')).status).toBe(200)
  })

  it('gives a token its own bucket, apart from its address', async () => {
    const { get, refused } = appWith()
    await get('203.0.113.1')
    await get('203.0.113.1')
    expect((await get('203.0.113.1')).status).toBe(429)
    expect((await get('203.0.113.1', 'good')).status).toBe(200)
    expect((await get('203.0.113.9', 'good')).status).toBe(200)
    expect((await get('203.0.113.1', 'good')).status).toBe(429)
    expect(refused).toEqual(['ip', 'token'])
  })

  it('charges the address for tokens that are turned down', async () => {
    const { get } = appWith()
    expect((await get('203.0.113.1', 'made-up-1')).status).toBe(401)
    expect((await get('203.0.113.1', 'made-up-2')).status).toBe(401)
    // Every made-up token had a fresh bucket; the address's failures did not.
    expect((await get('203.0.113.1', 'made-up-3')).status).toBe(429)
    expect((await get('203.0.113.1', 'good')).status).toBe(429)
    expect((await get('203.0.113.1')).status).toBe(200)
  })

  it('leaves loopback and unknown addresses alone unless told to limit loopback', async () => {
    const lenient = appWith()
    for (let i = 0; i < 5; i++) expect((await lenient.get('127.0.0.1')).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await lenient.get('')).status).toBe(200)
    const strict = appWith({ limitLoopback: true })
    await strict.get('::1')
    await strict.get('::1')
    expect((await strict.get('::1')).status).toBe(429)
  })

  it('is a pass-through at rate 0', async () => {
    const { get } = appWith({ rate: 0 })
    for (let i = 0; i < 5; i++) expect((await get('203.0.113.1')).status).toBe(200)
  })
})
