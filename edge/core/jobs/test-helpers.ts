/** Fixtures for the scheduler's unit tests: a job, a volunteer that records what it is sent, a store. */
import { openSqlite } from '../../node/sqlite'
import { JobStore } from '../store/job-store'
import { MIGRATIONS } from '../store/migrations'
import { migrate } from '../store/sql'
import { VolunteerPool } from '../volunteers/volunteer-pool'
import { VolunteerSession } from '../volunteers/volunteer-session'
import type { NewJob } from './job-record'
import { Scheduler, type SchedulerOptions } from './scheduler'

export function newJob(over: Partial<NewJob> = {}): NewJob {
  return {
    job_type: 'js',
    namespace: 'default',
    code: '1',
    code_hash: 'h1',
    input_data: null,
    timeout_ms: 1000,
    max_retries: 3,
    batch_id: null,
    ...over,
  }
}

interface SentFrame {
  type: string
  job_id?: string
  attempt?: number
  reason?: string
}

/** An active volunteer whose socket keeps every frame sent to it. */
export function fakeVolunteer(
  id: string,
  runtimes: NewJob['job_type'][] = ['js'],
  concurrency = 1,
  namespaces?: string[],
) {
  const sent: SentFrame[] = []
  const session = new VolunteerSession(
    id,
    { send: (t) => sent.push(JSON.parse(t)), close: () => {} },
    Date.now(),
  )
  session.capabilities = { runtimes, concurrency, ...(namespaces && { namespaces }) }
  session.state = 'active'
  return { session, sent, jobs: () => sent.filter((f) => f.type === 'job') }
}

/** A scheduler whose one placement is a pool of volunteers, as the orchestrator builds it. */
export function engine(store: JobStore, options: SchedulerOptions) {
  const scheduler = new Scheduler(store, options, (events) => [new VolunteerPool(events)] as const)
  const [pool] = scheduler.placements
  return { scheduler, pool }
}

/** A migrated in-memory database and the job store on it. */
export function memoryStore() {
  const sql = openSqlite(':memory:')
  migrate(sql, MIGRATIONS)
  return { sql, store: new JobStore(sql) }
}

/** Job frames go out once their start is committed: let that happen. */
export const settle = () =>
  new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)))
