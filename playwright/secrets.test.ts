/**
 * Secrets and a real browser volunteer: a Chromium tab connected to the orchestrator runs the
 * namespace's plain jobs but is never sent one that declares a secret (even with auth off, where
 * a tab is otherwise trusted); the job waits until a worker holding the runner token connects,
 * reads the value there, and what it printed comes back redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../test/helpers/api'
import { removeDir } from '../test/helpers/temp-dir'
import { startWorker, type WorkerProcess } from '../test/helpers/worker-process'
import { eventually, type ZerverlessProcess } from '../test/helpers/zerverless-process'
import { launchBrowser, openVolunteer, startOrchestrator, type Browser } from './fixtures'

const RUNNER_TOKEN = 'zv_runner_for_the_secrets_test_0123456789'
const VALUE = 'sk_live_never_in_a_browser_42'

let server: ZerverlessProcess
let browser: Browser
let client: ApiClient
let tabId: string
let worker: WorkerProcess | undefined

beforeAll(async () => {
  server = await startOrchestrator(['--runner-token', RUNNER_TOKEN])
  client = api(server.url)
  browser = await launchBrowser()
  tabId = (await openVolunteer(browser.context, server.url)).volunteerId
}, 60_000)

afterAll(async () => {
  await worker?.stop()
  await browser?.close()
  await server?.stop()
  removeDir(server.dataDir)
})

describe('a secret and a browser volunteer', () => {
  it('is never sent to the tab; a trusted worker runs it and its output is redacted', async () => {
    expect((await client.put('/api/secrets/default/API_KEY', { value: VALUE })).status).toBe(201)
    const secretJob = await client.post('/api/jobs', {
      job_type: 'js',
      code: 'console.log("key " + SECRETS.API_KEY); SECRETS.API_KEY.length',
      secrets: ['API_KEY'],
    })
    expect(secretJob.status).toBe(201)

    // The tab is idle and takes every plain job, submitted after the secret one...
    for (let n = 0; n < 3; n++) {
      const plain = await client.post('/api/jobs', { job_type: 'js', code: `${n} + 1` })
      const done = (await client.get(`/api/jobs/${plain.body.id}?wait=30`)).body
      expect(done).toMatchObject({ status: 'completed', result: n + 1, volunteer_id: tabId })
    }
    // ...but not the one that declares a secret: it still waits, never started anywhere.
    const waiting = (await client.get(`/api/jobs/${secretJob.body.id}`)).body
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0, volunteer_id: null })
    const tab = (await client.get('/api/volunteers')).body.volunteers.find(
      (v: { id: string }) => v.id === tabId,
    )
    expect(tab).toMatchObject({ secrets: false, completed: 3 })

    // A worker with the runner token may have secrets: the job runs there.
    worker = startWorker(server.wsUrl, 1, ['--token', RUNNER_TOKEN])
    const done = await eventually(async () => {
      const job = (await client.get(`/api/jobs/${secretJob.body.id}?wait=5`)).body
      return job.status === 'completed' ? job : undefined
    }, 30_000)
    expect(done.result).toBe(VALUE.length)
    expect(done.volunteer_id).not.toBe(tabId)
    expect(done.output).toContain('key [secret API_KEY]')
    expect(JSON.stringify(done)).not.toContain(VALUE)
  })
})
