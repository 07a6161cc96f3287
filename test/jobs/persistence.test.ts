/** Nothing acknowledged is lost: restarts, SIGTERM and kill -9 on the same data directory. */
import Database from 'better-sqlite3'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const started: ZerverlessProcess[] = []
const dirs: string[] = []

async function start(args: string[], dataDir: string) {
  const server = await startZerverless(args, dataDir)
  started.push(server)
  return server
}

afterEach(async () => {
  for (const server of started.splice(0)) await server.kill()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

function newDataDir() {
  const dir = tempDir()
  dirs.push(dir)
  return dir
}

describe('persistence', () => {
  it('keeps pending jobs pending across a restart, then runs them', async () => {
    const dataDir = newDataDir()
    const first = await start(['--workers', '0'], dataDir)
    const job = (
      await api(first.url).post('/api/jobs', { job_type: 'lua', code: 'return "survived"' })
    ).body
    expect(await first.stop()).toBe(0)

    const second = await start(['--workers', '0'], dataDir)
    const client = api(second.url)
    expect((await client.get(`/api/jobs/${job.id}`)).body.status).toBe('pending')
    expect((await client.get('/stats')).body.jobs.pending).toBe(1)
    expect(await second.stop()).toBe(0)

    const third = await start(['--workers', '1'], dataDir)
    expect((await api(third.url).get(`/api/jobs/${job.id}?wait=10`)).body).toMatchObject({
      status: 'completed',
      result: 'survived',
    })
  })

  it('re-queues a job that was running when the orchestrator was killed', async () => {
    const dataDir = newDataDir()
    const first = await start(['--workers', '0'], dataDir)
    const job = (await api(first.url).post('/api/jobs', { job_type: 'js', code: '"again"' })).body
    const v = await ScriptedVolunteer.connect(first.wsUrl)
    await v.next('job')
    await first.kill()

    const second = await start(['--workers', '1'], dataDir)
    const done = (await api(second.url).get(`/api/jobs/${job.id}?wait=10`)).body
    expect(done).toMatchObject({ status: 'completed', result: 'again', attempts: 2 })
  })

  it('loses no acknowledged job to kill -9 under load, and completes every one', async () => {
    const dataDir = newDataDir()
    const first = await start(['--workers', '2'], dataDir)
    const client = api(first.url)
    const acknowledged: string[] = []
    const load = { stop: false }
    const submitters = Array.from({ length: 8 }, async (_, s) => {
      for (let i = 0; !load.stop; i++) {
        try {
          const res = await client.post('/api/jobs', {
            job_type: 'lua',
            code: `return ${s * 100_000 + i}`,
          })
          if (res.status === 201) acknowledged.push(res.body.id)
        } catch {
          return // the server died mid-request: that one was never acknowledged
        }
      }
    })
    await eventually(() => acknowledged.length >= 300 || undefined, 20_000, '300 acknowledged jobs')
    await first.kill()
    load.stop = true
    await Promise.all(submitters)

    const second = await start(['--workers', '2'], dataDir)
    const after = api(second.url)
    await eventually(
      async () => {
        const stats = (await after.get('/stats')).body.jobs
        return stats.pending + stats.running === 0 || undefined
      },
      30_000,
      'the queue to drain',
    )
    for (const id of acknowledged) {
      const job = (await after.get(`/api/jobs/${id}`)).body
      expect(job.status, `job ${id}`).toBe('completed')
    }
    await second.stop()
    const db = new Database(path.join(dataDir, 'zerverless.db'), { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const total = db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status = 'completed'").get() as {
      n: number
    }
    expect(total.n).toBeGreaterThanOrEqual(acknowledged.length)
    db.close()
  })
})
