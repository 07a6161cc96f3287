/**
 * A function call on the edge that no volunteer can run is answered 503 NO_WORKER at once, as on
 * Node: with no volunteer anywhere, and with one that cannot run it. A volunteer connected to
 * another room is moved to the call's room, and the call waits for it. Real workerd, real worker
 * processes.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { roomOf } from '../../edge/workers/room-routing'
import { api } from '../helpers/api'
import { startEdge, type EdgeProcess } from '../helpers/edge-process'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { eventually } from '../helpers/zerverless-process'

const ROOMS = 4
/** Far above an immediate answer, below the 5 s a summoned call would have waited. */
const AT_ONCE_MS = 3_000
const HANDLER = { runtime: 'js', code: 'function handle() { return {body: "ran"} }' }

/** One namespace per room, `nobody-{i}` with the smallest i that lands there. */
function namespacePerRoom(): string[] {
  const byRoom = new Map<number, string>()
  for (let i = 0; byRoom.size < ROOMS; i++)
    if (!byRoom.has(roomOf(`nobody-${i}`, ROOMS)))
      byRoom.set(roomOf(`nobody-${i}`, ROOMS), `nobody-${i}`)
  return [...byRoom.values()]
}

async function timedCall(url: string, path: string) {
  const started = performance.now()
  const res = await fetch(url + path)
  const text = await res.text()
  const body = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as {
    code?: string
    error?: string
  }
  return {
    status: res.status,
    body,
    retryAfter: Number(res.headers.get('retry-after')),
    ms: performance.now() - started,
  }
}

describe('a function call no volunteer can run, on the edge', () => {
  const started: { edge?: EdgeProcess; workers: WorkerProcess[] } = { workers: [] }

  afterEach(async () => {
    for (const worker of started.workers.splice(0)) await worker.kill()
    await started.edge?.dispose()
    started.edge = undefined
  })

  it('answers 503 NO_WORKER at once, unless a volunteer in another room can come', async () => {
    const edge = (started.edge = await startEdge({ rooms: ROOMS }))
    const client = api(edge.url)
    const namespaces = namespacePerRoom()
    for (const ns of namespaces)
      expect((await client.post(`/api/deploy/${ns}/fn`, HANDLER)).status).toBe(201)

    // Nobody anywhere.
    for (const ns of namespaces) {
      const res = await timedCall(edge.url, `/${ns}/fn`)
      expect(res.status, JSON.stringify(res.body)).toBe(503)
      expect(res.body).toMatchObject({ code: 'NO_WORKER', error: expect.any(String) })
      expect(res.retryAfter).toBeGreaterThan(0)
      expect(res.ms).toBeLessThan(AT_ONCE_MS)
    }

    // One volunteer, in some room, that serves another namespace only.
    const other = startWorker(edge.wsUrl, 1, ['--namespaces', 'someone-else'])
    started.workers.push(other)
    await eventually(
      async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
      60_000,
    )
    for (const ns of namespaces) {
      const res = await timedCall(edge.url, `/${ns}/fn`)
      expect(res.status, JSON.stringify(res.body)).toBe(503)
      expect(res.body).toMatchObject({ code: 'NO_WORKER' })
      expect(res.ms).toBeLessThan(AT_ONCE_MS)
    }
    await started.workers.pop()?.kill()
    // Its room sees it gone first: else the wait below may count it, not the one that can.
    await eventually(
      async () => ((await client.get('/stats')).body.volunteers?.connected ?? 1) === 0 || undefined,
      60_000,
    )

    // One volunteer that can: whichever room it is in, every room's call is answered by it.
    started.workers.push(startWorker(edge.wsUrl, 1))
    await eventually(
      async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
      60_000,
    )
    for (const ns of namespaces) {
      const res = await timedCall(edge.url, `/${ns}/fn`)
      expect(res.status, `${ns}: ${JSON.stringify(res.body)}`).toBe(200)
    }
  }, 120_000)
})
