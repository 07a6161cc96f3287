import { describe, expect, it } from 'vitest'
import type { SecretOpener } from './scheduler-types'
import { engine, fakeVolunteer, memoryStore, newJob, settle } from './test-helpers'

const VALUE = 'value-of-k-1234'
const opener: SecretOpener = {
  open: async (_namespace, names) => ({
    ok: true,
    values: Object.fromEntries(names.map((n) => [n, VALUE])),
  }),
}

/** A volunteer that may have secrets (an internal worker, a runner token). */
function vouched(id: string) {
  const v = fakeVolunteer(id)
  v.session.identity = { kind: 'internal', trusted: true, runner: false, secrets: true }
  return v
}

describe('work that declares secrets', () => {
  it('waits for a site that may have them, is sent their values, and comes back redacted', async () => {
    const { sql, store } = memoryStore()
    const { scheduler, pool } = engine(store, {
      timeoutGraceMs: 100,
      durable: () => sql.durable(),
      secrets: opener,
    })
    const tab = fakeVolunteer('tab')
    tab.session.identity = { kind: 'token', trusted: true, runner: false }
    pool.admit(tab.session)
    const [job] = scheduler.submit([newJob({ secrets: ['K'] })])
    await settle()
    expect(tab.jobs()).toEqual([])
    expect(store.get(job!.id)?.status).toBe('pending')
    // A site whose credential allows secrets, but whose hello says it is a browser: still not.
    const browser = vouched('browser')
    browser.session.agent = { kind: 'browser' }
    pool.admit(browser.session)
    await settle()
    expect(browser.jobs()).toEqual([])

    const worker = vouched('worker')
    pool.admit(worker.session)
    await settle()
    expect(worker.jobs()).toMatchObject([{ job_id: job!.id, secrets: { K: VALUE } }])
    const frame = {
      type: 'result' as const,
      job_id: job!.id,
      attempt: 1,
      result: [VALUE],
      output: `${VALUE}!`,
    }
    expect(pool.report(worker.session, frame)).toBe(true)
    expect(store.get(job!.id)).toMatchObject({ result: ['[secret K]'], output: '[secret K]!' })
  })

  it('runs again after a restart that kept the socket: the values were only in memory', async () => {
    const { sql, store } = memoryStore()
    const options = { timeoutGraceMs: 100, durable: () => sql.durable(), secrets: opener }
    const { scheduler, pool } = engine(store, options)
    const worker = vouched('w1')
    pool.admit(worker.session)
    const [job] = scheduler.submit([newJob({ secrets: ['K'] })])
    await settle()
    expect(store.get(job!.id)?.status).toBe('running')

    const { scheduler: revived } = engine(store, { ...options, resumable: true })
    const again = vouched('w1')
    revived.resume([again.session])
    await settle()
    // Told to stop the attempt it held, and sent it again with the values opened afresh.
    expect(again.sent).toContainEqual(expect.objectContaining({ type: 'cancel', job_id: job!.id }))
    expect(again.jobs()).toMatchObject([{ job_id: job!.id, attempt: 2, secrets: { K: VALUE } }])
  })
})
