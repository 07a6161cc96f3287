import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { renderError } from '../http-error'
import { jsonLogger } from './logger'
import { Metrics } from './metrics'
import { requestIdFrom, requestLog } from './request-log'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function harness() {
  const lines: Record<string, unknown>[] = []
  const logger = jsonLogger((line) => lines.push(JSON.parse(line)), 'debug')
  const metrics = new Metrics({
    jobs: () => ({ pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 }),
    volunteers: () => ({
      connected: 0,
      idle: 0,
      busy: 0,
      draining: 0,
      slots: { total: 0, busy: 0 },
      runtimes: {},
    }),
  })
  const app = new Hono()
  app.onError(renderError)
  app.use('*', requestLog(logger, metrics))
  app.get('/json', (c) => c.json({ ok: true }))
  app.get('/raw', () => new Response('raw', { status: 418 }))
  app.get('/boom', () => {
    throw new Error('secret internals')
  })
  return { app, lines, metrics }
}

describe('requestIdFrom', () => {
  it('keeps a sane caller id and replaces anything else with a UUID', () => {
    expect(requestIdFrom('abc-123_x.y')).toBe('abc-123_x.y')
    expect(requestIdFrom('a'.repeat(64))).toBe('a'.repeat(64))
    for (const bad of [undefined, null, '', 'a'.repeat(65), 'has space', 'quote"d', 'line\nfeed'])
      expect(requestIdFrom(bad)).toMatch(UUID)
  })
})

describe('requestLog', () => {
  it('answers with a new request id and logs one line for the request', async () => {
    const { app, lines } = harness()
    const res = await app.request('/json?q=1')
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(UUID)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'debug',
      msg: 'request',
      request_id: id,
      method: 'GET',
      path: '/json',
      status: 200,
    })
    expect(typeof lines[0]!.duration_ms).toBe('number')
    expect(Object.keys(lines[0]!).slice(0, 3)).toEqual(['time', 'level', 'msg'])
  })

  it("echoes the caller's id, also on responses a handler built itself", async () => {
    const { app, lines } = harness()
    const res = await app.request('/raw', { headers: { 'x-request-id': 'trace-42' } })
    expect(res.status).toBe(418)
    expect(res.headers.get('x-request-id')).toBe('trace-42')
    expect(lines[0]).toMatchObject({ request_id: 'trace-42', status: 418 })
  })

  it('refuses an unsafe caller id', async () => {
    const { app } = harness()
    const res = await app.request('/json', { headers: { 'x-request-id': 'x'.repeat(65) } })
    expect(res.headers.get('x-request-id')).toMatch(UUID)
  })

  it('logs a 500 at error level with the request id, and keeps the details from the caller', async () => {
    const { app, lines } = harness()
    const res = await app.request('/boom', { headers: { 'x-request-id': 'req-500' } })
    expect(res.status).toBe(500)
    const body = await res.text()
    expect(body).not.toContain('secret internals')
    expect(JSON.parse(body)).toMatchObject({ code: 'INTERNAL' })
    expect(res.headers.get('x-request-id')).toBe('req-500')
    const error = lines.find((l) => l.level === 'error')
    expect(error).toMatchObject({ msg: 'unhandled error', request_id: 'req-500', path: '/boom' })
    expect(error?.error).toMatchObject({ message: 'secret internals' })
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ status: 500 })
  })

  it('counts requests by method and status', async () => {
    const { app, metrics } = harness()
    await app.request('/json')
    await app.request('/json')
    await app.request('/missing', { method: 'BREW' })
    const text = metrics.render()
    expect(text).toContain('zerverless_http_requests_total{method="GET",status="200"} 2\n')
    expect(text).toContain('zerverless_http_requests_total{method="OTHER",status="404"} 1\n')
  })
})
