/**
 * The engine where hashing code is asynchronous (Web Crypto, as on the Workers host): a step's
 * jobs go out after an await, and whatever happened to the run meanwhile is honoured.
 */
import { describe, expect, it } from 'vitest'
import { openSqlite } from '../../node/sqlite'
import { defaultConfig } from '../config'
import type { NewJob } from '../jobs/job-record'
import { MIGRATIONS } from '../store/migrations'
import { migrate } from '../store/sql'
import { WorkflowEngine } from './workflow-engine'
import { workflowDocument } from './workflow-schemas'
import { WorkflowService } from './workflow-service'
import { WorkflowStore } from './workflow-store'

/** An engine whose code hashes resolve only when the test says, and the jobs it submitted. */
function slowHashEngine() {
  const sql = openSqlite(':memory:')
  migrate(sql, MIGRATIONS)
  const store = new WorkflowStore(sql)
  const submitted: NewJob[] = []
  const hashes: (() => void)[] = []
  let launched = 0
  const engine = new WorkflowEngine({
    store,
    jobs: {
      submit: (jobs) => {
        submitted.push(...jobs)
        return []
      },
      get: () => undefined,
      cancel: () => ({ ok: false, reason: 'not_found' }),
      onFinished: () => () => {},
    },
    functions: { hasFunction: () => false, call: () => Promise.reject(new Error('none')) },
    services: { hasService: () => false, start: () => Promise.reject(new Error('none')) },
    sha256: () => new Promise<string>((resolve) => hashes.push(() => resolve('h'))),
    defaults: { timeoutSeconds: 30, maxRetries: 0 },
    launched: () => launched++,
  })
  const service = new WorkflowService({
    store,
    engine,
    lookups: { hasFunction: () => false, hasService: () => false },
    idPrefix: '',
  })
  const doc = workflowDocument(defaultConfig()).parse({
    name: 'one',
    steps: [{ id: 'spin', run: { runtime: 'js', code: 'while (true) {}' } }],
  })
  const workflow = service.create('ns', doc)
  return {
    service,
    submitted,
    launched: () => launched,
    start: () => service.start(workflow.id, null, undefined).run,
    /** Lets every hash asked for so far resolve, and what waited on them go on. */
    hashed: async () => {
      for (const resolve of hashes.splice(0)) resolve()
      await new Promise((r) => setImmediate(r))
    },
  }
}

describe('a step launched while its code is being hashed', () => {
  it('submits its job once the hash is known, and tells the host', async () => {
    const kit = slowHashEngine()
    const run = kit.start()
    expect(kit.submitted).toEqual([])
    await kit.hashed()
    expect(kit.submitted.map((j) => j.id)).toEqual([`${run.id}.spin.0.1`])
    expect(kit.launched()).toBe(1)
  })

  it('submits nothing for a run cancelled before the hash was known', async () => {
    const kit = slowHashEngine()
    const run = kit.start()
    expect(kit.service.cancel(run.id).status).toBe('cancelled')
    await kit.hashed()
    expect(kit.submitted).toEqual([])
    expect(kit.service.runView(kit.service.run(run.id)).steps[0]?.status).toBe('cancelled')
  })
})
