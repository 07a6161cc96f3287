import { describe, expect, it } from 'vitest'
import { createApp } from '../app'
import { Authenticator } from '../auth/authenticator'
import { consoleLogger } from '../observability/logger'
import type { RemoteRoom, Rooms } from './rooms'

interface Asked {
  room: number
  method: string
  url: string
  body: string
  requestId: string | null
}

/**
 * A front over `count` rooms that answer `answer(room, url)` (JSON, text, or a Response) and
 * remember what they were asked. Namespaces alice, bob and default live in rooms 1, 2 and 3.
 */
function front(count: number, answer: (room: number, url: URL) => unknown = (room) => ({ room })) {
  const asked: Asked[] = []
  const rooms: RemoteRoom[] = Array.from({ length: count }, (_, room) => ({
    fetch: async (request: Request) => {
      const url = new URL(request.url)
      asked.push({
        room,
        method: request.method,
        url: url.pathname + url.search,
        body: request.body ? await request.text() : '',
        requestId: request.headers.get('x-request-id'),
      })
      const body = answer(room, url)
      if (body instanceof Response) return body
      return typeof body === 'string' ? new Response(body) : Response.json(body)
    },
  }))
  const byName: Record<string, number> = { alice: 1, bob: 2, default: 3 }
  const seam: Rooms = {
    namespace: (ns) => rooms[byName[ns] ?? 0] as RemoteRoom,
    id: (id) => rooms[/^r(\d)-/.exec(id) ? Number(id[1]) : 0] as RemoteRoom,
    home: () => rooms[0] as RemoteRoom,
    all: () => rooms,
    volunteer: async () => rooms[count - 1] as RemoteRoom,
  }
  const auth = new Authenticator({ enabled: true, adminToken: 'admin' }, () => undefined)
  const app = createApp({ host: 'workers', rooms: seam, auth, logger: consoleLogger('silent') })
  const roomsAsked = () => asked.map((a) => a.room)
  return { app, asked, roomsAsked }
}

describe('routing each request to the room that owns it', () => {
  it("sends a namespace's database, files, deploys, static files and functions to its room", async () => {
    const { app, roomsAsked } = front(4)
    await app.request('/api/db/alice/k')
    await app.request('/api/storage/bob/a/b.txt', { method: 'PUT', body: 'x' })
    await app.request('/api/deploy/alice/hello', { method: 'POST', body: '{}' })
    await app.request('/static/bob/index.html')
    await app.request('/alice/hello?x=1')
    await app.request('/%61lice/hello')
    expect(roomsAsked()).toEqual([1, 2, 1, 2, 1, 1])
  })

  it('sends a job or batch to the room its id names, and an id naming none home', async () => {
    const { app, roomsAsked } = front(4)
    await app.request('/api/jobs/r2-abc')
    await app.request('/api/jobs/r3-abc', { method: 'DELETE' })
    await app.request('/api/jobs/batch/r1-xyz')
    await app.request('/api/jobs/r2-abc/outputs/out.txt', { method: 'PUT', body: 'bytes' })
    await app.request('/api/jobs/zzz')
    expect(roomsAsked()).toEqual([2, 3, 1, 2, 0])
  })

  it('reads a submission for its namespace only when the caller may submit somewhere', async () => {
    const { app, asked } = front(4)
    const submit = (headers: Record<string, string>) =>
      app.request('/api/jobs', {
        method: 'POST',
        headers,
        body: JSON.stringify({ job_type: 'js', code: '1', namespace: 'bob' }),
      })
    await submit({ authorization: 'Bearer admin' })
    await submit({})
    expect(asked.map((a) => [a.room, a.body === '' ? 'unread' : 'read'])).toEqual([
      [2, 'read'],
      [0, 'read'],
    ])
    // The home room got the stream as it came: nobody here read it first.
    expect(asked[1]?.body).toContain('"namespace":"bob"')
  })

  it('sends home what names no room: services, peers, tokens, health, unknown API paths', async () => {
    const { app, roomsAsked } = front(4)
    for (const path of ['/api/services/standalone', '/api/peers', '/api/tokens', '/health'])
      await app.request(path)
    await app.request('/api/nothing-here', { method: 'POST', body: '{}' })
    await app.request('/api/nothing-here')
    expect(roomsAsked()).toEqual([0, 0, 0, 0, 0, 0])
  })

  it('answers the landing page at the front, asking no room', async () => {
    const { app, roomsAsked } = front(4)
    const landing = await app.request('/')
    expect(landing.status).toBe(200)
    expect(await landing.json()).toMatchObject({ links: { console: '/console/' } })
    expect(roomsAsked()).toEqual([])
  })

  it('lists jobs across rooms a page at a time, newest first', async () => {
    const { app, asked } = front(2, (room) => ({
      jobs: [
        { id: `r${room}-a`, created_at: `2026-01-0${room + 1}` },
        { id: `r${room}-b`, created_at: `2026-01-0${room + 3}` },
      ],
      total: 2,
    }))
    const res = await app.request('/api/jobs?limit=2&offset=1')
    expect(asked.map((a) => a.url)).toEqual([
      '/api/jobs?limit=3&offset=0',
      '/api/jobs?limit=3&offset=0',
    ])
    expect(await res.json()).toEqual({
      jobs: [
        { id: 'r0-b', created_at: '2026-01-03' },
        { id: 'r1-a', created_at: '2026-01-02' },
      ],
      total: 4,
      limit: 2,
      offset: 1,
    })
  })

  it("lists one namespace's jobs from its room alone", async () => {
    const { app, roomsAsked } = front(4)
    await app.request('/api/jobs?namespace=bob')
    await app.request('/api/deploy?user=alice')
    expect(roomsAsked()).toEqual([2, 1])
  })

  it('adds up /stats and labels each room in /metrics', async () => {
    const { app } = front(2, (room, url) =>
      url.pathname === '/metrics'
        ? '# HELP up Up.\n# TYPE up gauge\nup 1\n'
        : { node_id: `room-${room}`, uptime_seconds: room, jobs: { pending: room + 1 } },
    )
    expect(await (await app.request('/stats')).json()).toEqual({
      node_id: 'edge',
      uptime_seconds: 1,
      jobs: { pending: 3 },
      rooms: 2,
    })
    const metrics = await (await app.request('/metrics')).text()
    expect(metrics).toBe('# HELP up Up.\n# TYPE up gauge\nup{room="0"} 1\nup{room="1"} 1\n')
  })

  it('asks the rooms in turn for a module, until one has it', async () => {
    const { app, roomsAsked } = front(4, (room) =>
      room === 2
        ? new Response('wasm')
        : Response.json({ code: 'WASM_NOT_FOUND' }, { status: 404 }),
    )
    const res = await app.request('/api/wasm/bafy')
    expect(await res.text()).toBe('wasm')
    expect(roomsAsked()).toEqual([0, 1, 2])
  })

  it('stores an uploaded module in every room, for a caller who may submit jobs', async () => {
    const { app, asked } = front(3, () => ({ cid: 'c', created: true }))
    const res = await app.request('/api/wasm', {
      method: 'POST',
      headers: { authorization: 'Bearer admin' },
      body: 'module bytes',
    })
    expect(await res.json()).toEqual({ cid: 'c', created: true })
    expect(asked.map((a) => [a.room, a.body])).toEqual([
      [0, 'module bytes'],
      [1, 'module bytes'],
      [2, 'module bytes'],
    ])
  })

  it('places volunteers where the host says, and runners in the home room', async () => {
    const { app, roomsAsked } = front(4)
    const upgrade = { headers: { upgrade: 'websocket' } }
    await app.request('/ws/volunteer', upgrade)
    await app.request('/ws/volunteer?role=runner', upgrade)
    await app.request('/ws/upload', upgrade)
    expect(roomsAsked()).toEqual([3, 0, 0])
  })

  it('places no volunteer for a request that is no upgrade: the home room answers its 426', async () => {
    const { app, roomsAsked } = front(4)
    await app.request('/ws/volunteer')
    expect(roomsAsked()).toEqual([0])
  })

  it('gives every room the same request id, and keeps a sane one the caller sent', async () => {
    const { app, asked } = front(2, () => ({ volunteers: [], total: 0 }))
    const res = await app.request('/api/volunteers', { headers: { 'x-request-id': 'mine-1' } })
    expect(asked.map((a) => a.requestId)).toEqual(['mine-1', 'mine-1'])
    expect(res.headers.get('x-request-id')).toBe('mine-1')
    await app.request('/api/volunteers', { headers: { 'x-request-id': 'not sane!' } })
    const [, , first, second] = asked
    expect(first?.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(second?.requestId).toBe(first?.requestId)
  })

  it('serves the volunteer page itself, asking no room', async () => {
    const { app, asked } = front(4)
    const res = await app.request('/volunteer/')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'PWA_NOT_BUILT' })
    expect(asked).toEqual([])
  })
})
