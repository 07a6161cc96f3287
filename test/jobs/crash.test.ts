/**
 * kill -9 of the orchestrator while jobs are being submitted and run by real worker processes and
 * by scripted volunteers that record every job frame they get. After a restart on the same data
 * directory and port: every 201 is there and completes once, attempt numbers are never reused, the
 * counts agree with the rows, and SQLite's integrity check passes.
 */
import Database from 'better-sqlite3'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { freePort } from '../helpers/free-port'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const servers: ZerverlessProcess[] = []
const workers: WorkerProcess[] = []
const scripted: ScriptedVolunteer[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const v of scripted.splice(0)) v.terminate()
  await Promise.all(workers.splice(0).map((w) => w.kill()))
  for (const server of servers.splice(0)) await server.kill()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

/** Every job frame any recorder got, as `job_id#attempt`. */
const dispatched: string[] = []
/** What recorders sent results for, and the ids they were welcomed with. */
const reported = new Map<string, number[]>()
const recorderIds = new Set<string>()

/**
 * A volunteer that computes the jobs' answer itself (INPUT.n * 7), a few ms after each job frame,
 * and records everything it got and sent.
 */
async function recorder(wsUrl: string): Promise<ScriptedVolunteer> {
  const v = await ScriptedVolunteer.connect(wsUrl, { runtimes: ['js'], concurrency: 2 })
  scripted.push(v)
  recorderIds.add(v.volunteerId as string)
  const beat = setInterval(() => v.isOpen && v.send({ type: 'heartbeat' }), 500)
  v.onClose(() => clearInterval(beat))
  const onFrame = (frame: Frame) => {
    if (frame.type !== 'job') return
    dispatched.push(`${frame.job_id}#${frame.attempt}`)
    setTimeout(() => {
      if (!v.isOpen) return
      v.complete(frame, (frame.input_data as { n: number }).n * 7)
      reported.set(frame.job_id, [...(reported.get(frame.job_id) ?? []), frame.attempt])
    }, 15)
  }
  // Jobs may have come in the same packet as the welcome, before this listener.
  for (const frame of v.frames) onFrame(frame)
  v.onFrame(onFrame)
  return v
}

describe('crash safety', () => {
  it('keeps every acknowledged job through kill -9 under load and completes each exactly once', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const port = String(await freePort())
    const args = ['--workers', '0', '--port', port, '--heartbeat-interval', '1']
    const first = await startZerverless(args, dataDir)
    servers.push(first)
    for (let i = 0; i < 3; i++) workers.push(startWorker(first.wsUrl, 1))
    await Promise.all([recorder(first.wsUrl), recorder(first.wsUrl)])
    const client = api(first.url)
    await eventually(
      async () => (await client.get('/stats')).body.volunteers.connected === 5 || undefined,
      20_000,
      'five volunteers',
    )

    // Eight clients submit as fast as they can; a 201 is a promise the job survives.
    const acknowledged = new Map<string, number>()
    const load = { stop: false }
    let next = 0
    const submitters = Array.from({ length: 8 }, async () => {
      while (!load.stop) {
        const n = next++
        try {
          const res = await client.post('/api/jobs', {
            job_type: 'js',
            code: 'const t = Date.now(); while (Date.now() - t < 5) {} INPUT.n * 7',
            input_data: { n },
            max_retries: 10,
          })
          if (res.status === 201) acknowledged.set(res.body.id, n)
        } catch {
          return // the server died mid-request: that one was never acknowledged
        }
      }
    })
    await eventually(
      async () =>
        (acknowledged.size >= 300 &&
          (await client.get('/stats')).body.jobs.completed >= 100 &&
          dispatched.length > 0) ||
        undefined,
      20_000,
      '300 acknowledged jobs, 100 of them done',
    )
    await first.kill()
    load.stop = true
    await Promise.all(submitters)

    const second = await startZerverless(args, dataDir)
    servers.push(second)
    expect(second.url).toBe(first.url)
    // The real workers find it again on their own; recorders connect anew.
    await Promise.all([recorder(second.wsUrl), recorder(second.wsUrl)])
    const after = api(second.url)
    await eventually(
      async () => (await after.get('/stats')).body.volunteers.connected >= 5 || undefined,
      20_000,
      'the workers to reconnect',
    )
    await eventually(
      async () => {
        const jobs = (await after.get('/stats')).body.jobs
        return jobs.pending + jobs.running === 0 || undefined
      },
      30_000,
      'the queue to drain',
    ).catch(async (err) => {
      const stats = (await after.get('/stats')).body
      const stuck = (await after.get('/api/jobs?status=running&limit=5')).body
      const vols = (await after.get('/api/volunteers')).body
      console.log(JSON.stringify({ stats, stuck, vols }, null, 1), second.output().slice(-3000))
      for (const w of workers) console.log(w.output().slice(-2000))
      throw err
    })

    let rerun = 0
    for (const [id, n] of acknowledged) {
      const job = (await after.get(`/api/jobs/${id}`)).body
      if (job.attempts > 1) rerun++
      expect(job.status, `job ${id}`).toBe('completed')
      expect(job.result, `job ${id}`).toBe(n * 7)
      // A completion by a recorder is one of its results for the attempt the job ended on.
      if (recorderIds.has(job.volunteer_id)) expect(reported.get(id)).toContain(job.attempts)
    }
    // An attempt number is never handed out twice, even across the crash: a result from before it
    // cannot be mistaken for one from after.
    expect(new Set(dispatched).size).toBe(dispatched.length)
    // Jobs running at the crash ran again, on their next attempt.
    expect(rerun).toBeGreaterThan(0)
    const stats = (await after.get('/stats')).body.jobs
    expect(stats.failed).toBe(0)

    await second.stop()
    const db = new Database(path.join(dataDir, 'zerverless.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      const rows = db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as {
        status: string
        n: number
      }[]
      // Only completed rows, at least one per 201, and /stats counted each exactly once.
      expect(rows.map((r) => r.status)).toEqual(['completed'])
      expect(rows[0]?.n).toBeGreaterThanOrEqual(acknowledged.size)
      expect(stats.completed).toBe(rows[0]?.n)
    } finally {
      db.close()
    }
  }, 90_000)
})
