/**
 * Submitting and waiting in one call (`POST /api/jobs?wait=`, `POST /api/jobs/batch?wait=`) when
 * the wait ends first, fails, or is refused; and batch jobs' input index, including jobs stored
 * before the index was kept (a data directory at the previous schema, opened by the real CLI).
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS } from '../../edge/core/store/migrations'
import { migrate } from '../../edge/core/store/sql'
import { openSqlite } from '../../edge/node/sqlite'
import { api } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'
import { removeDir, startZerverless, tempDir } from '../helpers/zerverless-process'

let server: TestApp

beforeAll(async () => {
  server = await createTestApp({ volunteers: 1, config: { maxWaitSeconds: 5 } })
  await idleVolunteers(server, 1)
})

afterAll(async () => {
  await server.close()
})

const endless = { job_type: 'lua', code: 'while true do end', timeout_seconds: 600 }

describe('POST /api/jobs?wait=', () => {
  it('answers 201 with the job as it stands when the wait ends before the job', async () => {
    const res = await server.api.post('/api/jobs?wait=1', { ...endless, namespace: 'w-late' })
    expect(res.status).toBe(201)
    expect(['pending', 'running']).toContain(res.body.status)
    expect(res.body).toMatchObject({ result: null, error: null, completed_at: null })
    expect(res.body).not.toHaveProperty('index')
    expect((await server.api.delete(`/api/jobs/${res.body.id}`)).body.status).toBe('cancelled')
  })

  it('answers 201 with the failed job and its error when the guest throws', async () => {
    const res = await server.api.post('/api/jobs?wait=5', {
      job_type: 'js',
      namespace: 'w-fail',
      code: 'throw new Error("no such thing")',
      max_retries: 0,
    })
    expect(res.status).toBe(201)
    expect(res.body.status).toBe('failed')
    expect(res.body.error.message).toContain('no such thing')
  })

  it('refuses a wait above the cap with the same 400 as GET, and submits nothing', async () => {
    for (const route of ['/api/jobs?wait=6', '/api/jobs?wait=-1', '/api/jobs?wait=']) {
      const res = await server.api.post(route, {
        job_type: 'js',
        namespace: 'w-refused',
        code: '1',
      })
      expect(res.status, route).toBe(400)
      expect(res.body, route).toMatchObject({ code: 'INVALID_REQUEST', field: 'wait' })
    }
    const batch = await server.api.post('/api/jobs/batch?wait=6', {
      job_type: 'js',
      namespace: 'w-refused',
      code: '1',
      inputs: [{}],
    })
    expect(batch.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'wait' })
    expect((await server.api.get('/api/jobs?namespace=w-refused')).body.total).toBe(0)
    const get = await server.api.get('/api/jobs/some-id?wait=6')
    expect(get.body.error).toBe(batch.body.error)
  })
})

describe('POST /api/jobs/batch?wait=', () => {
  it('answers 201 with the counts as they stand when the wait ends first', async () => {
    const res = await server.api.post('/api/jobs/batch?wait=1', {
      ...endless,
      namespace: 'w-batch',
      inputs: [{}, {}, {}],
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ count: 3, done: false, completed: 0 })
    expect(res.body.pending + res.body.running).toBe(3)
    for (const id of res.body.job_ids as string[]) await server.api.delete(`/api/jobs/${id}`)
    const after = await server.api.get(`/api/jobs/batch/${res.body.batch_id}`)
    expect(after.body).toMatchObject({ done: true, cancelled: 3 })
  })

  it('without wait answers as before: the batch id, the count and the job ids', async () => {
    const res = await server.api.post('/api/jobs/batch', {
      job_type: 'js',
      namespace: 'w-plain',
      code: 'INPUT.i',
      inputs: [{ i: 0 }, { i: 1 }],
    })
    expect(Object.keys(res.body).sort()).toEqual(['batch_id', 'count', 'job_ids'])
    const listed = await server.api.get(
      `/api/jobs?batch_id=${res.body.batch_id}&order=input&namespace=w-plain`,
    )
    expect(listed.body.jobs.map((j: { id: string; index: number }) => [j.id, j.index])).toEqual(
      (res.body.job_ids as string[]).map((id, i) => [id, i]),
    )
  })
})

describe('batch jobs stored before the index was kept', () => {
  it('show index null, and still list in the order they were submitted', async () => {
    const dataDir = tempDir()
    const db = openSqlite(path.join(dataDir, 'zerverless.db'))
    const indexed = MIGRATIONS.findIndex((m) => m.includes('batch_index'))
    expect(indexed).toBeGreaterThan(0)
    migrate(db, MIGRATIONS.slice(0, indexed))
    db.run("INSERT INTO code_blobs (hash, code) VALUES ('h-old', 'INPUT.n')")
    for (const n of [7, 8, 9])
      db.run(
        `INSERT INTO jobs (id, job_type, namespace, code_hash, input_data, timeout_ms, max_retries,
           status, result, batch_id, created_at, completed_at)
         VALUES (?, 'js', 'old', 'h-old', ?, 30000, 0, 'completed', ?, 'old-batch', ?, ?)`,
        `old-${n}`,
        JSON.stringify({ n }),
        String(n),
        1_700_000_000_000 + n,
        1_700_000_000_500 + n,
      )
    db.close()
    const cli = await startZerverless(['--workers', '0'], dataDir)
    try {
      const client = api(cli.url)
      expect((await client.get('/api/jobs/old-8')).body).toMatchObject({
        id: 'old-8',
        batch_id: 'old-batch',
        index: null,
        result: 8,
      })
      const listed = await client.get('/api/jobs?batch_id=old-batch&namespace=old&order=input')
      expect(listed.body.jobs.map((j: { id: string; index: null }) => [j.id, j.index])).toEqual([
        ['old-7', null],
        ['old-8', null],
        ['old-9', null],
      ])
      // A batch submitted now, on the same store, is indexed.
      const fresh = await client.post('/api/jobs/batch', {
        job_type: 'js',
        namespace: 'old',
        code: '1',
        inputs: [{}, {}],
      })
      const second = await client.get(`/api/jobs/${fresh.body.job_ids[1]}`)
      expect(second.body.index).toBe(1)
    } finally {
      await cli.stop()
      removeDir(dataDir)
    }
  })
})
