import { beforeEach, describe, expect, it } from 'vitest'
import type { JobStore } from '../store/job-store'
import type { SqliteDatabase } from '../../node/sqlite'
import type { VolunteerPool } from '../volunteers/volunteer-pool'
import type { Scheduler } from './scheduler'
import { engine, fakeVolunteer as volunteer, memoryStore, newJob, settle } from './test-helpers'

let scheduler: Scheduler
let pool: VolunteerPool
let store: JobStore
let sql: SqliteDatabase

beforeEach(() => {
  ;({ sql, store } = memoryStore())
  ;({ scheduler, pool } = engine(store, { timeoutGraceMs: 100, durable: () => sql.durable() }))
})

describe('Scheduler', async () => {
  it('starts a job on a free volunteer as soon as it is submitted', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    const [job] = scheduler.submit([newJob()])
    await settle()
    expect(v.jobs()).toMatchObject([{ job_id: job?.id, attempt: 1 }])
    expect(scheduler.statusCounts()).toMatchObject({ pending: 0, running: 1 })
  })

  it('hands a freed slot the oldest job the volunteer can run', async () => {
    const [luaJob, jsOld, jsNew] = scheduler.submit([
      newJob({ job_type: 'lua' }),
      newJob(),
      newJob(),
    ])
    const v = volunteer('v1', ['js'])
    pool.admit(v.session)
    await settle()
    expect(v.jobs().map((f) => f.job_id)).toEqual([jsOld?.id])
    pool.report(v.session, {
      type: 'result',
      job_id: jsOld!.id,
      attempt: 1,
      result: 1,
      output: '',
    })
    await settle()
    expect(v.jobs().map((f) => f.job_id)).toEqual([jsOld?.id, jsNew?.id])
    expect(store.get(luaJob!.id)?.status).toBe('pending')
  })

  it('keeps whitelisted volunteers to their namespaces', async () => {
    const v = volunteer('v1', ['js'], 2, ['bob'])
    pool.admit(v.session)
    const [alice, bob] = scheduler.submit([
      newJob({ namespace: 'alice' }),
      newJob({ namespace: 'bob' }),
    ])
    await settle()
    expect(v.jobs().map((f) => f.job_id)).toEqual([bob?.id])
    expect(store.get(alice!.id)?.status).toBe('pending')
  })

  it('takes a job back from a volunteer silent past its deadline plus grace, and runs it elsewhere', async () => {
    const [silent, other] = [volunteer('silent'), volunteer('other')]
    pool.admit(silent.session)
    const [job] = scheduler.submit([newJob({ timeout_ms: 1000 })])
    await settle()
    expect(silent.jobs()).toMatchObject([{ job_id: job?.id, attempt: 1 }])
    expect(scheduler.expire(Date.now() + 500)).toBe(0)
    expect(scheduler.expire(Date.now() + 1200)).toBe(1)
    expect(silent.sent.at(-1)).toMatchObject({ type: 'cancel', job_id: job?.id, reason: 'timeout' })
    expect(silent.session.running.size).toBe(0)
    expect(store.get(job!.id)).toMatchObject({ status: 'pending', attempts: 1, error: null })
    // Its failure, not the guest's: attempt 2 goes to the next volunteer.
    pool.admit(other.session)
    await settle()
    expect(other.jobs()).toMatchObject([{ job_id: job?.id, attempt: 2 }])
    expect(store.get(job!.id)).toMatchObject({ status: 'running', attempts: 2, error: null })
  })

  it('holds a silent volunteer back, then gives it work again once its hold is over', async () => {
    const silent = volunteer('silent')
    pool.admit(silent.session)
    const [first] = scheduler.submit([newJob({ timeout_ms: 1000 })])
    await settle()
    const missedAt = Date.now() + 1200
    scheduler.expire(missedAt)
    expect(silent.session).toMatchObject({ strikes: 1, heldUntil: missedAt + 1000 })
    expect(silent.session.freeSlots).toBe(0)
    expect(scheduler.nextDeadline()).toBe(missedAt + 1000)
    // Held: the job it let pass waits for it (nobody else may take it) rather than returning at once.
    await settle()
    expect(silent.jobs()).toHaveLength(1)
    expect(store.get(first!.id)).toMatchObject({ status: 'pending', attempts: 1 })
    scheduler.expire(missedAt + 1000)
    await settle()
    expect(silent.jobs().map((f) => f.attempt)).toEqual([1, 2])
    // Reporting on time forgives the strike.
    pool.report(silent.session, {
      type: 'result',
      job_id: first!.id,
      attempt: 2,
      result: 1,
      output: '',
    })
    expect(silent.session.strikes).toBe(0)
    expect(store.get(first!.id)).toMatchObject({ status: 'completed', attempts: 2 })
  })

  it('fails with MAX_RETRIES, saying what happened, when every attempt went unanswered', async () => {
    const [job] = scheduler.submit([newJob({ timeout_ms: 1000, max_retries: 1 })])
    let now = Date.now()
    for (const id of ['a', 'b']) {
      const v = volunteer(id)
      pool.admit(v.session)
      await settle()
      expect(v.jobs()).toHaveLength(1)
      now += 2000
      scheduler.expire(now)
    }
    expect(store.get(job!.id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: {
        code: 'MAX_RETRIES',
        message:
          'gave up after 2 attempts: the volunteer running it sent no report within its 1 s timeout and 0.1 s of grace',
      },
    })
  })

  it('keeps a TIMEOUT the volunteer reports itself as the job failure', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    const [job] = scheduler.submit([newJob({ timeout_ms: 1000 })])
    await settle()
    const error = { code: 'TIMEOUT' as const, message: 'job exceeded its timeout of 1 s' }
    pool.report(v.session, { type: 'error', job_id: job!.id, attempt: 1, error })
    expect(store.get(job!.id)).toMatchObject({ status: 'failed', attempts: 1, error })
    expect(v.session.strikes).toBe(0)
  })

  it('re-queues on disconnect and fails after max_retries', async () => {
    const [job] = scheduler.submit([newJob({ max_retries: 1 })])
    for (const id of ['a', 'b']) {
      const v = volunteer(id)
      pool.admit(v.session)
      await settle()
      expect(v.jobs()).toHaveLength(1)
      pool.release(v.session)
    }
    expect(store.get(job!.id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { code: 'MAX_RETRIES' },
    })
    expect(scheduler.statusCounts()).toMatchObject({ pending: 0, running: 0, failed: 1 })
  })

  it('retries elsewhere when a volunteer reports its own failure', async () => {
    const a = volunteer('a')
    pool.admit(a.session)
    const [job] = scheduler.submit([newJob()])
    const b = volunteer('b')
    pool.admit(b.session)
    pool.report(a.session, {
      type: 'error',
      job_id: job!.id,
      attempt: 1,
      error: { code: 'WORKER_CRASHED', message: 'thread died' },
      retryable: true,
    })
    expect(store.get(job!.id)).toMatchObject({ status: 'running', attempts: 2, volunteer_id: 'b' })
  })

  it('cancels pending and running jobs, and refuses finished ones', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    const [running, pending] = scheduler.submit([newJob(), newJob()])
    expect(scheduler.cancel(pending!.id)).toMatchObject({ ok: true, job: { status: 'cancelled' } })
    expect(scheduler.cancel(running!.id)).toMatchObject({ ok: true, job: { status: 'cancelled' } })
    expect(v.sent.at(-1)).toMatchObject({ type: 'cancel', reason: 'cancelled' })
    expect(scheduler.cancel(running!.id)).toMatchObject({ ok: false, reason: 'finished' })
    expect(scheduler.cancel('nope')).toMatchObject({ ok: false, reason: 'not_found' })
  })

  it('restores the queue from the store after a restart, running jobs first in line again', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    const [first, second] = scheduler.submit([newJob(), newJob()])
    const { scheduler: restarted, pool: restartedPool } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
    })
    expect(restarted.statusCounts()).toMatchObject({ pending: 2, running: 0 })
    const w = volunteer('w')
    restartedPool.admit(w.session)
    await settle()
    expect(w.jobs()).toMatchObject([{ job_id: first?.id, attempt: 2 }])
    expect(store.get(second!.id)?.status).toBe('pending')
  })

  it('counts pending jobs per namespace through start, re-queue, cancel and restart', async () => {
    const [a1, a2] = scheduler.submit([newJob({ namespace: 'a' }), newJob({ namespace: 'a' })])
    scheduler.submit([newJob({ namespace: 'b' })])
    expect([scheduler.pendingIn('a'), scheduler.pendingIn('b')]).toEqual([2, 1])
    const v = volunteer('v1', ['js'], 1, ['a'])
    pool.admit(v.session)
    await settle()
    expect(scheduler.pendingIn('a')).toBe(1)
    pool.release(v.session)
    expect(scheduler.pendingIn('a')).toBe(2)
    scheduler.cancel(a2!.id)
    expect(scheduler.pendingIn('a')).toBe(1)
    const { scheduler: restarted } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
    })
    expect([restarted.pendingIn('a'), restarted.pendingIn('b')]).toEqual([1, 1])
    expect(store.get(a1!.id)?.status).toBe('pending')
  })
})

describe('Scheduler after a restart that kept its sockets (Durable Object hibernation)', () => {
  it('keeps a job running on a volunteer that is still connected, and accepts its result once', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    const [held] = scheduler.submit([newJob()])
    await settle()
    const [orphan] = scheduler.submit([newJob()])
    expect(store.get(held!.id)?.status).toBe('running')

    // A new scheduler on the same store, as after an eviction; the volunteer's socket survived,
    // the one that took `orphan` did not.
    const gone = volunteer('gone')
    store.start(orphan!.id, gone.session.id, Date.now())
    const { scheduler: revived, pool: revivedPool } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
      resumable: true,
    })
    const again = volunteer('v1')
    revived.resume([again.session])
    expect(again.session.holds(held!.id, 1)).toBe(true)
    expect(store.get(orphan!.id)?.status).toBe('pending')
    expect(revived.statusCounts()).toMatchObject({ running: 1, pending: 1 })

    const frame = { type: 'result' as const, job_id: held!.id, attempt: 1, result: 7, output: '' }
    expect(revivedPool.report(again.session, frame)).toBe(true)
    expect(revivedPool.report(again.session, frame)).toBe(false)
    expect(store.get(held!.id)).toMatchObject({ status: 'completed', result: 7, attempts: 1 })
    // The free slot takes the orphan, on its second attempt.
    await settle()
    expect(again.jobs()).toMatchObject([{ job_id: orphan!.id, attempt: 2 }])
  })
})

describe('Scheduler.onFinished', () => {
  it('tells a listener of each job that ends, once its end is stored, until it stops listening', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    const heard: { id: string; status: string; stored?: string }[] = []
    const stop = scheduler.onFinished((job) =>
      heard.push({ id: job.id, status: job.status, stored: store.get(job.id)?.status }),
    )
    const [done, cancelled] = scheduler.submit([newJob(), newJob()])
    await settle()
    pool.report(v.session, { type: 'result', job_id: done!.id, attempt: 1, result: 1, output: '' })
    scheduler.cancel(cancelled!.id)
    await settle()
    expect(heard).toEqual([
      { id: done!.id, status: 'completed', stored: 'completed' },
      { id: cancelled!.id, status: 'cancelled', stored: 'cancelled' },
    ])
    stop()
    const [later] = scheduler.submit([newJob()])
    scheduler.cancel(later!.id)
    await settle()
    expect(heard).toHaveLength(2)
  })

  it('lets a listener submit the next job from what the last one returned (a workflow step)', async () => {
    const v = volunteer('v1')
    pool.admit(v.session)
    scheduler.onFinished((job) => {
      const result = store.get(job.id)?.result
      if (job.status === 'completed' && result === 1)
        scheduler.submit([newJob({ input_data: { previous: result } })])
    })
    const [first] = scheduler.submit([newJob()])
    await settle()
    pool.report(v.session, { type: 'result', job_id: first!.id, attempt: 1, result: 1, output: '' })
    await settle()
    expect(v.jobs().map((f) => f.job_id)).toHaveLength(2)
    expect(scheduler.statusCounts()).toMatchObject({ running: 1, completed: 1 })
  })
})
