import { describe, expect, it } from 'vitest'
import type { Scheduler } from './scheduler'
import { engine, fakeVolunteer, memoryStore, newJob } from './test-helpers'

const job = newJob()

describe('Scheduler.list totals', () => {
  it('reports the same total by status as counting the store does, across transitions', async () => {
    const { sql, store } = memoryStore()
    const { scheduler, pool } = engine(store, { timeoutGraceMs: 100, durable: () => sql.durable() })
    scheduler.submit(Array.from({ length: 7 }, () => job))
    const { session } = fakeVolunteer('v1', ['js'], 2)
    pool.admit(session)
    const [first] = [...session.running.entries()]
    if (!first) throw new Error('nothing started')
    pool.report(session, {
      type: 'result',
      job_id: first[0],
      attempt: first[1].attempt,
      result: 1,
      output: '',
    })
    const [, cancelled] = scheduler.list({ status: 'pending', limit: 5, offset: 0 }).jobs
    scheduler.cancel(cancelled?.id as string)

    for (const status of ['pending', 'running', 'completed', 'cancelled'] as const) {
      const listed = scheduler.list({ status, limit: 2, offset: 0 })
      expect(listed.total, status).toBe(store.list({ status, limit: 2, offset: 0 }).total)
      expect(listed.jobs.length).toBe(Math.min(2, listed.total))
    }
    expect(scheduler.list({ status: 'pending', limit: 20, offset: 0 }).total).toBe(3)
  })

  it('reports a namespace listing total as counting the store does, also after a restart', () => {
    const { sql, store } = memoryStore()
    const options = { timeoutGraceMs: 100, durable: () => sql.durable() }
    const { scheduler: first } = engine(store, options)
    first.submit([job, job, { ...job, namespace: 'alice' }])
    const counted = (s: Scheduler, namespace: string) => {
      const listed = s.list({ namespace, limit: 1, offset: 0 })
      expect(listed.total, namespace).toBe(store.list({ namespace, limit: 1, offset: 0 }).total)
      return listed.total
    }
    expect([counted(first, 'default'), counted(first, 'alice'), counted(first, 'nobody')]).toEqual([
      2, 1, 0,
    ])
    const { scheduler: restarted } = engine(store, options)
    restarted.submit([{ ...job, namespace: 'alice' }])
    expect([counted(restarted, 'default'), counted(restarted, 'alice')]).toEqual([2, 2])
  })
})
