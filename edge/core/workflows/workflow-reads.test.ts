/**
 * What the engine and a run's view read, against a real SQLite store and a scheduler stand-in
 * whose jobs the test ends: a job end's reads must not grow with the run (its input, its fan-out).
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { JsonValue } from '../../../shared/protocol/json'
import { openSqlite } from '../../node/sqlite'
import type { JobRecord, NewJob } from '../jobs/job-record'
import type { FinishedJob } from '../jobs/scheduler-types'
import { migrate, type Sql, type SqlValue } from '../store/sql'
import { MIGRATIONS } from '../store/migrations'
import { WorkflowEngine } from './workflow-engine'
import type { WorkflowDocument } from './workflow-schemas'
import { WorkflowService } from './workflow-service'
import { WorkflowStore } from './workflow-store'

/** Every query the store ran, in order, and how many rows they gave. */
let queries: string[]
let rows = 0
let store: WorkflowStore
let engine: WorkflowEngine
const jobs = new Map<string, JobRecord>()
let listeners: ((job: FinishedJob) => void)[] = []

/** Sql that writes down each query before running it. */
function counted(sql: Sql): Sql {
  return {
    all: <T>(q: string, ...p: SqlValue[]) => {
      queries.push(q)
      const found = sql.all<T>(q, ...p)
      rows += found.length
      return found
    },
    get: (q, ...p) => (queries.push(q), sql.get(q, ...p)),
    run: (q, ...p) => (queries.push(q), sql.run(q, ...p)),
    transaction: (fn) => sql.transaction(fn),
    durable: (urgent) => sql.durable(urgent),
  }
}

const scheduler = {
  submit(fresh: NewJob[]): JobRecord[] {
    return fresh.map((job) => {
      // The fields the engine reads; the rest of a stored job does not matter here.
      const record = { ...job, id: job.id as string, status: 'running' } as unknown as JobRecord
      jobs.set(record.id, record)
      return record
    })
  },
  get: (id: string) => jobs.get(id),
  cancel: () => ({ ok: false as const, reason: 'not_found' as const }),
  onFinished(listener: (job: FinishedJob) => void) {
    listeners.push(listener)
    return () => {}
  },
}

/** Ends a job as completed with `result`, as the scheduler tells its listeners. */
function complete(id: string, result: JsonValue) {
  const job = jobs.get(id) as JobRecord
  Object.assign(job, { status: 'completed', result, output: '', volunteer_id: 'v1' })
  for (const listener of listeners) listener({ ...job, status: 'completed' })
}

/** Ends a job as failed by its guest, as the scheduler tells its listeners. */
function fail(id: string) {
  const job = jobs.get(id) as JobRecord
  Object.assign(job, { status: 'failed', error: { code: 'RUNTIME_ERROR', message: 'boom' } })
  for (const listener of listeners) listener({ ...job, status: 'failed' })
}

const settle = () => new Promise((r) => setImmediate(r))

beforeEach(() => {
  queries = []
  jobs.clear()
  listeners = []
  const sql = openSqlite(':memory:')
  migrate(sql, MIGRATIONS)
  store = new WorkflowStore(counted(sql))
  engine = new WorkflowEngine({
    store,
    jobs: scheduler,
    functions: { hasFunction: () => false, call: () => Promise.reject(new Error('none')) },
    services: { hasService: () => false, start: () => Promise.reject(new Error('none')) },
    sha256: (text) => `hash-${text.length}`,
    defaults: { timeoutSeconds: 30, maxRetries: 0 },
  })
})

async function start(doc: WorkflowDocument, input: JsonValue) {
  store.create(
    { id: 'wf', namespace: 'default', name: doc.name, version: 1, created_at: 0, updated_at: 0 },
    doc,
  )
  const run = {
    id: 'run',
    workflow_id: 'wf',
    version: 1,
    namespace: 'default',
    status: 'running' as const,
    input,
    error: null,
    created_at: 0,
    finished_at: null,
  }
  store.createRun(
    run,
    doc.steps.map((s) => s.id),
  )
  engine.begin({ ...run, seq: 1 })
  await settle()
}

describe('a job end', () => {
  it("reads the run's input once per step, not once per foreach element", async () => {
    const list = Array.from({ length: 100 }, (_, n) => n)
    await start(
      {
        name: 'fan',
        steps: [
          {
            id: 'each',
            run: { kind: 'code', runtime: 'js', code: 'INPUT.n + 1' },
            foreach: '${input.list}',
            input: { n: '${item}' },
          },
        ],
      } as WorkflowDocument,
      { list },
    )
    expect(jobs.size).toBe(100)
    queries = []
    for (const n of list) complete(`run.each.${n}.1`, n + 1)
    const inputReads = queries.filter((q) => /SELECT \*[^;]*FROM workflow_runs/.test(q))
    expect(store.run('run')?.status).toBe('completed')
    expect(store.steps('run')[0]?.result).toEqual(list.map((n) => n + 1))
    expect(inputReads.length).toBeLessThanOrEqual(1)
  })

  it("costs a job that is not a unit's no read", async () => {
    scheduler.submit([{ id: 'r1-4f1c2a', job_type: 'js', code: '1' } as NewJob])
    complete('r1-4f1c2a', 1)
    await settle()
    expect(queries).toEqual([])
  })

  it('reads its unit once', async () => {
    await start(
      {
        name: 'one',
        steps: [{ id: 'only', run: { kind: 'code', runtime: 'js', code: 'INPUT.n + 1' } }],
      } as WorkflowDocument,
      { n: 1 },
    )
    queries = []
    complete('run.only.0.1', 2)
    expect(queries.filter((q) => /FROM workflow_units WHERE job_id/.test(q))).toHaveLength(1)
    expect(store.run('run')?.status).toBe('completed')
  })
})

describe("a run's view", () => {
  it("counts a fan-out's elements without reading each one", async () => {
    const list = Array.from({ length: 100 }, (_, n) => n)
    await start(
      {
        name: 'fan',
        steps: [
          {
            id: 'each',
            run: { kind: 'code', runtime: 'js', code: 'INPUT.n + 1' },
            foreach: '${input.list}',
            input: { n: '${item}' },
          },
        ],
      } as WorkflowDocument,
      { list },
    )
    for (const n of list.slice(0, 40)) complete(`run.each.${n}.1`, n + 1)
    const service = new WorkflowService({
      store,
      engine,
      lookups: { hasFunction: () => false, hasService: () => false },
      idPrefix: '',
    })
    rows = 0
    const view = service.runView(store.run('run') as NonNullable<ReturnType<typeof store.run>>)
    expect(view.steps[0]).toMatchObject({
      attempts: 1,
      batch_id: 'run.each',
      elements: { total: 100, completed: 40, running: 60, waiting: 0, failed: 0 },
    })
    expect(rows).toBeLessThan(10)
  })
})

describe('a failed job', () => {
  const once = (retries?: object) =>
    ({
      name: 'one',
      steps: [
        {
          id: 'only',
          run: { kind: 'code', runtime: 'js', code: 'INPUT.n + 1' },
          ...(retries && { retries }),
        },
      ],
    }) as WorkflowDocument

  it('is tried again as the next attempt while retries are left', async () => {
    await start(once({ limit: 1, delay_seconds: 0 }), { n: 1 })
    fail('run.only.0.1')
    await settle()
    expect(jobs.has('run.only.0.2')).toBe(true)
    complete('run.only.0.2', 2)
    expect(store.run('run')?.status).toBe('completed')
    expect(store.units('run')[0]).toMatchObject({ attempt: 2, failures: 1, status: 'completed' })
  })

  it('fails its step and the run when none are', async () => {
    await start(once(), { n: 1 })
    fail('run.only.0.1')
    expect(store.run('run')).toMatchObject({ status: 'failed' })
    expect(store.steps('run')[0]).toMatchObject({
      status: 'failed',
      error: { code: 'RUNTIME_ERROR' },
    })
  })
})
