import { beforeEach, describe, expect, it } from 'vitest'
import type { SqliteDatabase } from '../../node/sqlite'
import type { JobStore } from '../store/job-store'
import type { NewJob } from './job-record'
import { canonicalJson, decide } from './quorum'
import type { VolunteerPool } from '../volunteers/volunteer-pool'
import type { Scheduler } from './scheduler'
import { engine, fakeVolunteer, memoryStore, newJob as plainJob, settle } from './test-helpers'

/** A deterministic job run twice unless a test says otherwise. */
const newJob = (over: Partial<NewJob> = {}): NewJob =>
  plainJob({ code: '6 * 7', redundancy: 2, ...over })

const volunteer = (id: string, concurrency = 1) => fakeVolunteer(id, ['js'], concurrency)
type Volunteer = ReturnType<typeof volunteer>

let scheduler: Scheduler
let pool: VolunteerPool
let store: JobStore
let sql: SqliteDatabase

const answer = (v: Volunteer, jobId: string, result: unknown, attempt?: number) =>
  pool.report(v.session, {
    type: 'result',
    job_id: jobId,
    attempt: attempt ?? v.session.running.get(jobId)?.attempt ?? 0,
    result: result as never,
    output: '',
  })

function admit(...ids: string[]): Volunteer[] {
  return ids.map((id) => {
    const v = volunteer(id)
    pool.admit(v.session)
    return v
  })
}

beforeEach(() => {
  ;({ sql, store } = memoryStore())
  ;({ scheduler, pool } = engine(store, { timeoutGraceMs: 100, durable: () => sql.durable() }))
})

describe('quorum', () => {
  it('needs a strict majority of identical canonical answers', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe(
      '{"a":null,"b":[1,{"c":2,"d":1}]}',
    )
    expect(decide(['x', 'x'], 2, 0)).toEqual({ kind: 'agreed', answer: 'x' })
    expect(decide(['x'], 2, 1)).toEqual({ kind: 'undecided' })
    expect(decide(['x', 'y'], 2, 0)).toEqual({ kind: 'split' })
    expect(decide(['x', 'y'], 3, 1)).toEqual({ kind: 'undecided' })
    expect(decide(['x', 'y', 'z'], 3, 0)).toEqual({ kind: 'split' })
  })
})

describe('Scheduler with redundancy', () => {
  it('completes a job once a majority of distinct volunteers agree, and only then', async () => {
    const [a, b, c] = admit('a', 'b', 'c')
    const [job] = scheduler.submit([newJob({ redundancy: 3 })])
    await settle()
    for (const v of [a, b, c]) expect(v!.jobs()).toMatchObject([{ job_id: job!.id, attempt: 1 }])
    expect(answer(a!, job!.id, { x: 1, y: 2 })).toBe(true)
    expect(store.get(job!.id)?.status).toBe('running')
    answer(b!, job!.id, { y: 2, x: 1 })
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: { x: 1, y: 2 } })
    // The third copy is no longer needed.
    expect(c!.sent.at(-1)).toMatchObject({ type: 'cancel', job_id: job!.id })
    expect(scheduler.quorumOf(store.get(job!.id)!)).toEqual({
      needed: 2,
      answers: 2,
      agreeing: 2,
      running: 0,
    })
    expect(scheduler.reputation.of('a')).toMatchObject({ agreed: 1, disagreed: 0 })
    expect(scheduler.statusCounts()).toMatchObject({ running: 0, completed: 1 })
  })

  it('never sends two copies to one volunteer, however many slots it has', async () => {
    const big = volunteer('big', 4)
    pool.admit(big.session)
    const [job] = scheduler.submit([newJob({ redundancy: 2 })])
    await settle()
    expect(big.jobs()).toHaveLength(1)
    expect(store.get(job!.id)?.status).toBe('running')
    const [other] = admit('other')
    await settle()
    expect(other!.jobs()).toMatchObject([{ job_id: job!.id }])
  })

  it('runs a new round on other volunteers when the copies disagree, and the loser loses standing', async () => {
    const [liar, honest] = admit('liar', 'honest')
    const [job] = scheduler.submit([newJob()])
    await settle()
    answer(liar!, job!.id, 41)
    answer(honest!, job!.id, 42)
    // Split: back to pending, round 2, waiting for volunteers that have not answered.
    expect(store.get(job!.id)).toMatchObject({ status: 'pending', attempts: 1 })
    const [c, d] = admit('c', 'd')
    await settle()
    expect(liar!.jobs()).toHaveLength(1)
    expect(honest!.jobs()).toHaveLength(1)
    expect(c!.jobs()).toMatchObject([{ job_id: job!.id, attempt: 2 }])
    expect(d!.jobs()).toMatchObject([{ job_id: job!.id, attempt: 2 }])
    answer(c!, job!.id, 42)
    answer(d!, job!.id, 42)
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42, attempts: 2 })
    expect(scheduler.reputation.of('liar')).toMatchObject({ disagreed: 1, trusted: false })
    expect(scheduler.reputation.of('honest')).toMatchObject({ agreed: 1, trusted: true })

    // In bad standing, the liar gets no more copies; honest volunteers do.
    const [next] = scheduler.submit([newJob()])
    await settle()
    expect(liar!.jobs()).toHaveLength(1)
    expect(honest!.jobs().at(-1)).toMatchObject({ job_id: next!.id })
  })

  it('fails with NO_QUORUM when rounds run out', async () => {
    const vs = admit('a', 'b', 'c', 'd')
    const [job] = scheduler.submit([newJob({ max_retries: 1 })])
    await settle()
    let n = 0
    for (const v of vs) if (v.session.running.has(job!.id)) answer(v, job!.id, n++)
    await settle()
    for (const v of vs) if (v.session.running.has(job!.id)) answer(v, job!.id, n++)
    expect(store.get(job!.id)).toMatchObject({ status: 'failed', error: { code: 'NO_QUORUM' } })
    expect(scheduler.statusCounts()).toMatchObject({ pending: 0, running: 0, failed: 1 })
  })

  it('takes a deterministic guest error agreed by a majority as the job failure', async () => {
    const [a, b] = admit('a', 'b')
    const [job] = scheduler.submit([newJob()])
    await settle()
    for (const v of [a!, b!]) {
      pool.report(v.session, {
        type: 'error',
        job_id: job!.id,
        attempt: 1,
        error: { code: 'GUEST_ERROR', message: 'boom' },
      })
    }
    expect(store.get(job!.id)).toMatchObject({ status: 'failed', error: { code: 'GUEST_ERROR' } })
  })

  it('sends a copy again when its volunteer disconnects, keeping the answers it has', async () => {
    const [a, b] = admit('a', 'b')
    const [job] = scheduler.submit([newJob()])
    await settle()
    answer(a!, job!.id, 42)
    pool.release(b!.session)
    expect(store.get(job!.id)?.status).toBe('pending')
    expect(scheduler.statusCounts()).toMatchObject({ pending: 1, running: 0 })
    const [c] = admit('c')
    await settle()
    expect(c!.jobs()).toMatchObject([{ job_id: job!.id, attempt: 1 }])
    answer(c!, job!.id, 42)
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42 })
  })

  it('cancels every running copy', async () => {
    const [a, b] = admit('a', 'b')
    const [job] = scheduler.submit([newJob({ redundancy: 3 })])
    await settle()
    answer(a!, job!.id, 42)
    expect(scheduler.cancel(job!.id)).toMatchObject({ ok: true, job: { status: 'cancelled' } })
    expect(b!.sent.at(-1)).toMatchObject({ type: 'cancel', job_id: job!.id, reason: 'cancelled' })
    expect(b!.session.running.size).toBe(0)
    const [c] = admit('c')
    await settle()
    expect(c!.jobs()).toHaveLength(0)
    expect(scheduler.statusCounts()).toMatchObject({ pending: 0, running: 0, cancelled: 1 })
  })

  it('sends a copy whose volunteer said nothing by its deadline to another one, within the round', async () => {
    const [a, b] = admit('a', 'b')
    const [job] = scheduler.submit([newJob({ timeout_ms: 1000 })])
    await settle()
    answer(a!, job!.id, 42)
    expect(scheduler.expire(Date.now() + 5000)).toBe(1)
    expect(b!.sent.at(-1)).toMatchObject({ type: 'cancel', reason: 'timeout' })
    // Not a TIMEOUT answer (no split): the copy is lost, and b waits before it gets work again.
    expect(store.get(job!.id)).toMatchObject({ status: 'pending', attempts: 1 })
    expect(b!.session.heldUntil).toBeDefined()
    const [c] = admit('c')
    await settle()
    expect(c!.jobs()).toMatchObject([{ job_id: job!.id, attempt: 1 }])
    answer(c!, job!.id, 42)
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42, attempts: 1 })
    expect(scheduler.reputation.of('b')).toMatchObject({ agreed: 0, disagreed: 0 })
  })

  it('still distrusts a lying runner after a restart on the same database', async () => {
    const runner = (id: string, peer: string) => {
      const v = volunteer(id)
      v.session.peer = { id: peer, native: false, system: {} as never }
      return v
    }
    const liar = runner('liar', 'liar-peer')
    pool.admit(liar.session)
    const [b, c, d] = admit('b', 'c', 'd')
    const [job] = scheduler.submit([newJob()])
    await settle()
    answer(liar, job!.id, -1)
    answer(b!, job!.id, 42)
    await settle()
    for (const v of [c, d]) answer(v!, job!.id, 42)
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42 })
    expect(scheduler.reputation.of('peer:liar-peer')).toMatchObject({
      disagreed: 1,
      trusted: false,
    })

    const { scheduler: restarted, pool: restartedPool } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
    })
    expect(restarted.reputation.of('peer:liar-peer')).toMatchObject({
      disagreed: 1,
      trusted: false,
    })
    const back = runner('liar-again', 'liar-peer')
    restartedPool.admit(back.session)
    const [e, f] = ['e', 'f'].map((id) => {
      const v = volunteer(id)
      restartedPool.admit(v.session)
      return v
    })
    const [next] = restarted.submit([newJob()])
    await settle()
    expect(back.jobs()).toHaveLength(0)
    expect([e, f].map((v) => v!.jobs().length)).toEqual([1, 1])
    void next
  })

  it('after a restart that kept its sockets, cancels the copies it sent and sends the missing ones', async () => {
    const [a] = admit('a', 'b')
    const [job] = scheduler.submit([newJob()])
    await settle()
    answer(a!, job!.id, 42)
    const { scheduler: revived, pool: revivedPool } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
      resumable: true,
    })
    const [a2, b2] = ['a', 'b'].map((id) => volunteer(id))
    revived.resume([a2!.session, b2!.session])
    await settle()
    // b's copy from before is cancelled and sent again; a, which answered, is not asked again.
    expect(b2!.sent.map((f) => f.type)).toEqual(['cancel', 'job'])
    expect(a2!.jobs()).toHaveLength(0)
    revivedPool.report(b2!.session, {
      type: 'result',
      job_id: job!.id,
      attempt: 1,
      result: 42,
      output: '',
    })
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42 })
    expect(revived.statusCounts()).toMatchObject({ pending: 0, running: 0, completed: 1 })
  })

  it('decides again from stored answers after a restart', async () => {
    const [a, b] = admit('a', 'b')
    const [job] = scheduler.submit([newJob({ redundancy: 3 })])
    const [plain] = scheduler.submit([newJob({ redundancy: 1 })])
    await settle()
    answer(a!, job!.id, 42)
    void b
    const { scheduler: restarted, pool: restartedPool } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
    })
    expect(restarted.statusCounts()).toMatchObject({ pending: 2, running: 0 })
    const [c, d] = ['c', 'd'].map((id) => {
      const v = volunteer(id)
      restartedPool.admit(v.session)
      return v
    })
    await settle()
    // Two copies are missing from round 1 (a answered); `a` is not asked again.
    expect(c!.jobs().map((f) => f.job_id)).toContain(job!.id)
    expect(d!.jobs().map((f) => f.job_id)).toContain(job!.id)
    restartedPool.report(c!.session, {
      type: 'result',
      job_id: job!.id,
      attempt: 1,
      result: 42,
      output: '',
    })
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42 })
    expect(store.get(plain!.id)?.redundancy).toBe(1)
  })
})
