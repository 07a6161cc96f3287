/**
 * Limits on the real CLI, started with small ones by flag: per-client rate limits (loopback
 * included with --limit-loopback), namespace quotas that refuse cleanly and write nothing,
 * WebSocket message floods, and the per-address connection cap.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { HEARTBEAT_FRAME } from '../shared/protocol/frames'
import { ScriptedVolunteer } from './helpers/scripted-volunteer'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

/** Rate limits on loopback: bursts of 4, then 2 a second. */
let rated: ZerverlessProcess
/** At most 3 WebSockets per address, loopback included; no rate limit. */
let capped: ZerverlessProcess
/** Small namespace quotas; no volunteers, so jobs stay pending. */
let quotas: ZerverlessProcess
/** Default message-rate limits, one internal worker, and a small key quota for guests. */
let flooded: ZerverlessProcess

beforeAll(async () => {
  ;[rated, capped, quotas, flooded] = await Promise.all([
    startZerverless([
      '--workers',
      '0',
      '--limit-loopback',
      '--rate-limit',
      '2',
      '--rate-burst',
      '4',
    ]),
    startZerverless([
      '--workers',
      '0',
      '--limit-loopback',
      '--rate-limit',
      '0',
      '--max-connections-per-ip',
      '3',
    ]),
    startZerverless([
      '--workers',
      '0',
      '--max-pending-jobs',
      '5',
      '--max-storage-bytes',
      '1000',
      '--max-kv-keys',
      '3',
    ]),
    startZerverless(['--workers', '1', '--max-kv-keys', '2']),
  ])
  await eventually(
    async () => (await json(flooded, 'GET', '/stats')).body.volunteers.idle === 1 || undefined,
    10_000,
    'the internal worker',
  )
})

afterAll(async () => {
  for (const server of [rated, capped, quotas, flooded]) {
    if (!server) continue
    expect(await server.stop()).toBe(0)
    removeDir(server.dataDir)
  }
})

async function json(
  server: ZerverlessProcess,
  method: string,
  target: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(server.url + target, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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

describe('namespace quotas', () => {
  const jobsIn = async (ns: string) =>
    (await json(quotas, 'GET', `/api/jobs?namespace=${ns}&limit=1`)).body.total as number

  it('refuses jobs past the pending quota, a whole batch at once, writing nothing', async () => {
    const job = { job_type: 'lua', code: 'return 1', namespace: 'busy' }
    const batch = await json(quotas, 'POST', '/api/jobs/batch', {
      ...job,
      inputs: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
    })
    expect(batch.status).toBe(201)
    expect((await json(quotas, 'POST', '/api/jobs', job)).status).toBe(201)

    const refused = await json(quotas, 'POST', '/api/jobs', job)
    expect(refused.status).toBe(429)
    expect(refused.body).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      quota: 'pending_jobs',
      limit: 5,
      error: expect.stringContaining("namespace 'busy' may have at most 5 pending jobs"),
    })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    const refusedBatch = await json(quotas, 'POST', '/api/jobs/batch', {
      ...job,
      inputs: [{ n: 5 }, { n: 6 }],
    })
    expect(refusedBatch.status).toBe(429)
    expect(refusedBatch.body.code).toBe('QUOTA_EXCEEDED')
    expect(await jobsIn('busy')).toBe(5)

    // Other namespaces have their own quota; a cancelled job frees a place.
    expect((await json(quotas, 'POST', '/api/jobs', { ...job, namespace: 'calm' })).status).toBe(
      201,
    )
    expect((await json(quotas, 'DELETE', `/api/jobs/${batch.body.job_ids[0]}`)).status).toBe(200)
    expect((await json(quotas, 'POST', '/api/jobs', job)).status).toBe(201)
  })

  it('refuses a file past the storage quota, before or while it streams, leaving nothing', async () => {
    const put = (file: string, body: BodyInit, init: RequestInit = {}) =>
      fetch(`${quotas.url}/api/storage/files/${file}`, { method: 'PUT', body, ...init })
    expect((await put('a.bin', new Uint8Array(600))).status).toBe(201)

    const declared = await put('b.bin', new Uint8Array(600))
    expect(declared.status).toBe(429)
    expect(await declared.json()).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      quota: 'storage_bytes',
      limit: 1000,
    })

    // Without a Content-Length the upload is cut off once it would not fit.
    const chunks = [new Uint8Array(300), new Uint8Array(300)]
    const streamed = await put(
      'c.bin',
      new ReadableStream({
        pull(controller) {
          const next = chunks.shift()
          if (next) controller.enqueue(next)
          else controller.close()
        },
      }),
      { duplex: 'half' } as RequestInit,
    )
    expect(streamed.status).toBe(429)
    expect((await streamed.json()).quota).toBe('storage_bytes')

    for (const file of ['b.bin', 'c.bin']) {
      expect((await fetch(`${quotas.url}/api/storage/files/${file}`)).status).toBe(404)
      expect(existsSync(path.join(quotas.dataDir, 'storage', 'files', file))).toBe(false)
    }
    // The cut-off upload's temporary file is removed as its stream unwinds.
    await eventually(
      () => readdirSync(path.join(quotas.dataDir, 'storage', '.uploads')).length === 0 || undefined,
      5_000,
      'the cut-off upload to be cleaned up',
    )

    // Replacing a file counts its old bytes as freed; deleting one frees its bytes.
    expect((await put('a.bin', new Uint8Array(900))).status).toBe(201)
    expect((await put('d.bin', new Uint8Array(200))).status).toBe(429)
    expect(
      (await fetch(`${quotas.url}/api/storage/files/a.bin`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect((await put('d.bin', new Uint8Array(200))).status).toBe(201)
  })

  it('refuses a new key past the key quota; existing keys can still change', async () => {
    for (const key of ['k1', 'k2', 'k3'])
      expect((await json(quotas, 'PUT', `/api/db/kv/${key}`, { value: key })).status).toBe(200)
    const refused = await json(quotas, 'PUT', '/api/db/kv/k4', { value: 4 })
    expect(refused.status).toBe(429)
    expect(refused.body).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'kv_keys', limit: 3 })
    expect((await json(quotas, 'GET', '/api/db/kv/k4')).status).toBe(404)
    expect((await json(quotas, 'PUT', '/api/db/kv/k1', { value: 'changed' })).status).toBe(200)
    expect((await json(quotas, 'DELETE', '/api/db/kv/k2')).status).toBe(204)
    expect((await json(quotas, 'PUT', '/api/db/kv/k4', { value: 4 })).status).toBe(200)
    expect((await json(quotas, 'GET', '/api/db/kv/?limit=10')).body.keys).toEqual([
      'k1',
      'k3',
      'k4',
    ])
  })

  it("refuses a guest's db.set of a new key past the quota, as an error it can catch", async () => {
    const created = await json(flooded, 'POST', '/api/jobs', {
      job_type: 'js',
      namespace: 'guest',
      code: 'db.set("a", 1); db.set("b", 2); db.set("a", 3); let r; try { db.set("c", 3); r = "stored" } catch (e) { r = e.message } r',
    })
    expect(created.status).toBe(201)
    const done = (await json(flooded, 'GET', `/api/jobs/${created.body.id}?wait=20`)).body
    expect(done.status).toBe('completed')
    expect(done.result).toMatch(/namespace 'guest' may hold at most 2 keys/)
    expect((await json(flooded, 'GET', '/api/db/guest/c')).status).toBe(404)
    expect((await json(flooded, 'GET', '/api/db/guest/a')).body.value).toBe(3)
  })
})

describe('WebSocket limits', () => {
  it('closes a flooding volunteer with 1008 while an honest worker keeps working', async () => {
    const flood = await ScriptedVolunteer.connect(flooded.wsUrl, { namespaces: ['nobody'] })
    for (let i = 0; i < 30_000; i++) flood.send(HEARTBEAT_FRAME)
    const closed = await flood.waitClosed(20_000)
    expect(closed.code).toBe(1008)
    expect(flood.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' })

    const batch = await json(flooded, 'POST', '/api/jobs/batch', {
      job_type: 'lua',
      code: 'return INPUT.n * 2',
      inputs: Array.from({ length: 50 }, (_, n) => ({ n })),
    })
    const summary = await json(flooded, 'GET', `/api/jobs/batch/${batch.body.batch_id}?wait=30`)
    expect(summary.body).toMatchObject({ done: true, completed: 50 })
    expect((await json(flooded, 'GET', '/stats')).body.volunteers.connected).toBe(1)
  })

  it('closes a flooding upload socket with 1008', async () => {
    const socket = new WebSocket(`${flooded.url.replace('http', 'ws')}/ws/upload`)
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    const replies: string[] = []
    socket.on('message', (data) => replies.push(data.toString()))
    const closed = new Promise<number>((resolve) => socket.once('close', resolve))
    const resume = JSON.stringify({ type: 'FILE_UPLOAD_RESUME', payload: { session_id: 'none' } })
    for (let i = 0; i < 5_000; i++) socket.send(resume)
    expect(await closed).toBe(1008)
    expect(replies.some((r) => r.includes('"RATE_LIMITED"'))).toBe(true)
  })

  it('refuses connections past the per-address cap with 429, and admits again after one closes', async () => {
    const open = async () => {
      const socket = new WebSocket(capped.wsUrl)
      return new Promise<WebSocket | number>((resolve, reject) => {
        socket.once('open', () => resolve(socket))
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        socket.once('error', reject)
      })
    }
    const sockets = [await open(), await open(), await open()]
    expect(sockets.every((s) => s instanceof WebSocket)).toBe(true)
    expect(await open()).toBe(429)
    const upload = new WebSocket(`${capped.url.replace('http', 'ws')}/ws/upload`)
    const uploadStatus = await new Promise<number>((resolve) =>
      upload.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    )
    expect(uploadStatus).toBe(429)

    const first = sockets[0] as WebSocket
    first.close()
    await new Promise((r) => first.once('close', r))
    const again = await eventually(async () => {
      const socket = await open()
      return socket instanceof WebSocket ? socket : undefined
    })
    for (const socket of [...sockets.slice(1), again]) (socket as WebSocket).close()
  })
})
