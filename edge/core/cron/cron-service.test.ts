/**
 * What a restart finds: a real orchestrator on SQLite, built again on the same database as a
 * restarted process builds it, hashing with Web Crypto (asynchronously, as on the Workers host).
 * A tick claimed before a crash is started once; a function call cut off is not made again; a
 * tick missed while down runs once or is skipped, as the trigger says.
 */
import { describe, expect, it } from 'vitest'
import { openSqlite, type SqliteDatabase } from '../../node/sqlite'
import { defaultConfig } from '../config'
import { Orchestrator } from '../orchestrator'
import { cronBody, type CronBody } from './cron-schemas'
import { MAX_CRONS_PER_NAMESPACE } from './cron-service'
import { CRON_HISTORY, CronStore } from './cron-store'

const config = defaultConfig()
const parse = (body: unknown): CronBody => cronBody(config).parse(body)
const JOB = { job: { job_type: 'lua', code: 'return 1' } }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const settled = () => sleep(100)

/** A database, and an orchestrator on it as a (re)started process makes one. */
function kit() {
  const sql: SqliteDatabase = openSqlite(':memory:')
  return { sql, boot: () => new Orchestrator(sql, config, {}), store: new CronStore(sql) }
}

describe('after a restart', () => {
  it('starts a tick claimed before the crash, once, under the id its tick gives', async () => {
    const { boot, store } = kit()
    const first = boot()
    first.crons.put('ns', 'nightly', parse({ schedule: '0 3 * * *', target: JOB }))
    const tick = Date.UTC(2030, 0, 1, 3)
    // The crash came right after the claim: the run's row is there, its job is not.
    expect(store.claim('ns', 'nightly', tick, { kind: 'job', missed: false }, tick)).toBe(true)
    expect(store.claim('ns', 'nightly', tick, { kind: 'job', missed: false }, tick)).toBe(false)
    const id = `cron:ns:nightly:${tick}`
    expect(first.scheduler.get(id)).toBeUndefined()

    const second = boot()
    await settled()
    expect(second.scheduler.get(id)).toMatchObject({ namespace: 'ns', status: 'pending' })
    expect(second.crons.view('ns', 'nightly').runs).toMatchObject([
      { id: `cron:nightly:${tick}`, status: 'pending', job_id: id },
    ])

    // Had it crashed after the submit but before the run said so, the job is found, not made again.
    store.update({ namespace: 'ns', name: 'nightly', tick }, { status: 'starting' })
    const third = boot()
    await settled()
    expect(third.crons.view('ns', 'nightly').runs[0]).toMatchObject({ job_id: id })
    expect(third.scheduler.list({ namespace: 'ns', limit: 10, offset: 0 }).total).toBe(1)
  })

  it('does not call a function again when its call was cut off', async () => {
    const { boot, store } = kit()
    boot().crons.put('ns', 'ping', parse({ schedule: '* * * * *', target: { function: '/ns/p' } }))
    const tick = Date.UTC(2030, 0, 1)
    store.claim('ns', 'ping', tick, { kind: 'function', missed: false }, tick)
    store.update({ namespace: 'ns', name: 'ping', tick }, { status: 'running' })
    const after = boot()
    await settled()
    expect(after.crons.view('ns', 'ping').runs[0]).toMatchObject({
      status: 'failed',
      error: { code: 'INTERRUPTED' },
    })
  })

  it('runs the latest missed tick once with missed "once", and none with "skip"', async () => {
    const { sql, boot } = kit()
    const first = boot()
    for (const missed of ['once', 'skip'])
      first.crons.put('ns', missed, parse({ schedule: '*/10 * * * *', missed, target: JOB }))
    // It was down for an hour, and looks five minutes after a tick (ten seconds after one, that
    // tick would still be on time).
    const now = Math.floor(Date.now() / 600_000) * 600_000 - 300_000
    sql.run('UPDATE cron_triggers SET last_tick = ?', now - 3_600_000)
    const after = boot()
    after.tick(now)
    after.tick(now)
    await settled()
    const latest = Math.floor(now / 600_000) * 600_000
    expect(after.crons.view('ns', 'once').runs).toMatchObject([
      { id: `cron:once:${latest}`, missed: true, job_id: `cron:ns:once:${latest}` },
    ])
    expect(after.crons.view('ns', 'skip').runs).toEqual([])
    // Both wait for their next tick now.
    expect(after.crons.nextDue()).toBe(latest + 600_000)
  })

  it('runs the missed ticks apart from an on-time tick due at the same first look', async () => {
    const { sql, boot } = kit()
    const first = boot()
    for (const missed of ['once', 'skip'])
      first.crons.put('ns', missed, parse({ schedule: '*/10 * * * *', missed, target: JOB }))
    sql.run('UPDATE cron_triggers SET last_tick = ?', Date.now() - 3_600_000)
    const after = boot()
    // Its first look comes ten minutes after it started: one tick came due since, on time.
    const look = Date.now() + 600_000
    after.tick(look)
    await settled()
    const onTime = Math.floor(look / 600_000) * 600_000
    const runs = (name: string) =>
      after.crons.view('ns', name).runs.map((run) => ({ id: run.id, missed: run.missed ?? false }))
    const once = runs('once')
    expect(once).toHaveLength(2)
    expect(once[0]).toEqual({ id: `cron:once:${onTime}`, missed: false })
    expect(once[1]?.missed).toBe(true)
    expect(runs('skip')).toEqual([{ id: `cron:skip:${onTime}`, missed: false }])
  })

  it('still runs the ticks missed before one that came due just before a slow start', async () => {
    const { sql, boot } = kit()
    const first = boot()
    const every = '*/10 * * * * *'
    for (const missed of ['once', 'skip'])
      first.crons.put('ns', missed, parse({ schedule: every, missed, target: JOB }))
    // Start just after a tick came due (a start slower than that tick): it is on time at the first
    // look, and the ticks before it, while the process was down, were still missed.
    while (Date.now() % 10_000 < 100 || Date.now() % 10_000 > 2_000) await sleep(50)
    const due = Math.floor(Date.now() / 10_000) * 10_000
    sql.run('UPDATE cron_triggers SET last_tick = ?', due - 60_000)
    const after = boot()
    after.tick(Date.now())
    await settled()
    const runs = (name: string) =>
      after.crons.view('ns', name).runs.map((run) => ({ id: run.id, missed: run.missed ?? false }))
    expect(runs('once')).toEqual([
      { id: `cron:once:${due}`, missed: false },
      { id: `cron:once:${due - 10_000}`, missed: true },
    ])
    expect(runs('skip')).toEqual([{ id: `cron:skip:${due}`, missed: false }])
  })

  it('is not due at all without triggers, and at the earliest tick with some', () => {
    const { boot } = kit()
    const orchestrator = boot()
    expect(orchestrator.crons.nextDue()).toBeUndefined()
    orchestrator.crons.put('ns', 'hourly', parse({ schedule: '0 * * * *', target: JOB }))
    orchestrator.crons.put('ns', 'minutely', parse({ schedule: '* * * * *', target: JOB }))
    const next = orchestrator.crons.nextDue() as number
    expect(next % 60_000).toBe(0)
    expect(next - Date.now()).toBeLessThanOrEqual(60_000)
    orchestrator.crons.remove('ns', 'minutely')
    expect((orchestrator.crons.nextDue() as number) % 3_600_000).toBe(0)
  })

  it('keeps a namespace to its quota of triggers (replacing one is fine)', () => {
    const { crons } = kit().boot()
    const body = parse({ schedule: '0 0 * * *', target: JOB })
    for (let i = 0; i < MAX_CRONS_PER_NAMESPACE; i++) crons.put('ns', `t${i}`, body)
    expect(() => crons.put('ns', 'one-more', body)).toThrow(/at most/)
    expect(crons.put('ns', 't0', body)).toEqual({ created: false })
    expect(crons.put('other', 'one-more', body)).toEqual({ created: true })
    // What GitOps hands over is checked as the API's path is.
    expect(() => crons.put('../x', 'a', body)).toThrow(/namespace/)
    expect(() => crons.put('ns', 'a:b', body)).toThrow(/name/)
    expect(() => crons.put('ns', 'a', { ...body, schedule: '61 * * * *' })).toThrow(/minute/)
  })

  it('keeps the newest runs of a trigger, and drops them with it', () => {
    const { boot, store } = kit()
    const { crons } = boot()
    crons.put('ns', 'kept', parse({ schedule: '0 0 * * *', target: JOB }))
    const day = 86_400_000
    for (let i = 1; i <= CRON_HISTORY + 5; i++)
      store.claim('ns', 'kept', Date.UTC(2030, 0, 1) + i * day, { kind: 'job', missed: false }, 0)
    const ticks = store.runs('ns', 'kept', 1000).map((run) => run.tick)
    expect(ticks).toHaveLength(CRON_HISTORY)
    expect(ticks.at(-1)).toBe(Date.UTC(2030, 0, 1) + 6 * day)
    expect(crons.remove('ns', 'kept')).toBe(true)
    expect(store.runs('ns', 'kept', 1000)).toEqual([])
  })
})
