/**
 * The engine where hashing code is asynchronous (Web Crypto, as on the Workers host): a step's
 * jobs go out after an await, and whatever happened to the run meanwhile is honoured. A real
 * orchestrator on SQLite in memory, without volunteers (its jobs stay pending).
 */
import { describe, expect, it } from 'vitest'
import { openSqlite } from '../../node/sqlite'
import { defaultConfig } from '../config'
import { Orchestrator } from '../orchestrator'
import { workflowDocument } from './workflow-schemas'

/** An orchestrator hashing with Web Crypto, a one-step workflow, and how often work went out. */
function kit() {
  let launched = 0
  const config = defaultConfig()
  const orchestrator = new Orchestrator(openSqlite(':memory:'), config, {
    launched: () => launched++,
  })
  const doc = workflowDocument(config).parse({
    name: 'one',
    steps: [{ id: 'spin', run: { runtime: 'js', code: 'while (true) {}' } }],
  })
  const workflow = orchestrator.workflows.create('ns', doc)
  const start = () => {
    const { run } = orchestrator.workflows.start(workflow.id, null, undefined)
    return { run, job: `${run.id}.spin.0.1` }
  }
  return { orchestrator, start, launched: () => launched }
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 100))

describe('a step launched while its code is being hashed', () => {
  it('submits its job once the hash is known, and tells the host', async () => {
    const { orchestrator, start, launched } = kit()
    const { job } = start()
    expect(orchestrator.scheduler.get(job)).toBeUndefined()
    await settled()
    expect(orchestrator.scheduler.get(job)?.status).toBe('pending')
    expect(launched()).toBe(1)
  })

  it('submits nothing for a run cancelled before the hash was known', async () => {
    const { orchestrator, start } = kit()
    const { run, job } = start()
    expect(orchestrator.workflows.cancel(run.id).status).toBe('cancelled')
    await settled()
    expect(orchestrator.scheduler.get(job)).toBeUndefined()
    const view = orchestrator.workflows.runView(orchestrator.workflows.run(run.id))
    expect(view.steps[0]?.status).toBe('cancelled')
  })
})
