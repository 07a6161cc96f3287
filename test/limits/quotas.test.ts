/**
 * Namespace quotas that refuse cleanly and write nothing: pending jobs, stored bytes, keys (also a
 * guest's `db.set`). Against the core in process, with small quotas and, for the guest, one volunteer.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/app-json'
import { eventually } from '../helpers/eventually'
import { createTestApp, type TestApp } from '../helpers/test-app'

/** Small namespace quotas; no volunteers, so jobs stay pending. */
let quotas: TestApp
/** One volunteer, and a small key quota for its guests. */
let guests: TestApp

beforeAll(async () => {
  ;[quotas, guests] = await Promise.all([
    createTestApp({
      volunteers: 0,
      config: { limits: { maxPendingJobs: 5, maxStorageBytes: 1000, maxKvKeys: 3 } },
    }),
    createTestApp({ volunteers: 1, config: { limits: { maxKvKeys: 2 } } }),
  ])
})

afterAll(async () => {
  await Promise.all([quotas.close(), guests.close()])
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
      quotas.fetch(`/api/storage/files/${file}`, { method: 'PUT', body, ...init })
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
      expect((await quotas.fetch(`/api/storage/files/${file}`)).status).toBe(404)
      expect(existsSync(path.join(quotas.dataDir as string, 'storage', 'files', file))).toBe(false)
    }
    // The cut-off upload's temporary file is removed as its stream unwinds.
    await eventually(
      () =>
        readdirSync(path.join(quotas.dataDir as string, 'storage', '.uploads')).length === 0 ||
        undefined,
      5_000,
      'the cut-off upload to be cleaned up',
    )

    // Replacing a file counts its old bytes as freed; deleting one frees its bytes.
    expect((await put('a.bin', new Uint8Array(900))).status).toBe(201)
    expect((await put('d.bin', new Uint8Array(200))).status).toBe(429)
    expect((await quotas.fetch(`/api/storage/files/a.bin`, { method: 'DELETE' })).status).toBe(204)
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
    const created = await json(guests, 'POST', '/api/jobs', {
      job_type: 'js',
      namespace: 'guest',
      code: 'db.set("a", 1); db.set("b", 2); db.set("a", 3); let r; try { db.set("c", 3); r = "stored" } catch (e) { r = e.message } r',
    })
    expect(created.status).toBe(201)
    const done = (await json(guests, 'GET', `/api/jobs/${created.body.id}?wait=20`)).body
    expect(done.status).toBe('completed')
    expect(done.result).toMatch(/namespace 'guest' may hold at most 2 keys/)
    expect((await json(guests, 'GET', '/api/db/guest/c')).status).toBe(404)
    expect((await json(guests, 'GET', '/api/db/guest/a')).body.value).toBe(3)
  })
})
