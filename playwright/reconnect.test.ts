/**
 * The tab outlives its orchestrator: when the orchestrator restarts, the tab reconnects with
 * backoff, abandons the job it was running (the orchestrator re-queues it), and the job is then
 * run and reported once.
 */
import { afterAll, expect, it } from 'vitest'
import { api } from '../test/helpers/api'
import { eventually, removeDir, type ZerverlessProcess } from '../test/helpers/zerverless-process'
import {
  connectedAs,
  launchBrowser,
  openVolunteer,
  startOrchestrator,
  type Browser,
} from './fixtures'

let server: ZerverlessProcess | undefined
let browser: Browser | undefined

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

it('reconnects after the orchestrator restarts and reports the re-queued job once', async () => {
  server = await startOrchestrator()
  const port = new URL(server.url).port
  browser = await launchBrowser()
  const { page, volunteerId: before } = await openVolunteer(browser.context, server.url)

  const slow = 'const end = Date.now() + 2000; while (Date.now() < end) {} "finished"'
  const created = await api(server.url).post('/api/jobs', { job_type: 'js', code: slow })
  await eventually(async () => {
    const job = (await api(server!.url).get(`/api/jobs/${created.body.id}`)).body
    return job.status === 'running' && job.volunteer_id === before
  })

  const dataDir = server.dataDir
  await server.stop()
  await page.waitForSelector('[data-testid="connection"][data-state="connecting"]')
  server = await startOrchestrator(['--port', port], dataDir)

  const after = await eventually(
    async () => {
      const id = await connectedAs(page)
      return id !== before ? id : undefined
    },
    30_000,
    'a new connection',
  )
  const done = (await api(server.url).get(`/api/jobs/${created.body.id}?wait=30`)).body
  expect(done).toMatchObject({ status: 'completed', result: 'finished', volunteer_id: after })
  // Attempt 2 after the restart; one more when the tab's fresh sandbox had tried to load its
  // runtimes while the orchestrator was down (a retryable failure, not the guest's).
  expect(done.attempts).toBeGreaterThanOrEqual(2)
  expect(done.attempts).toBeLessThanOrEqual(3)
}, 90_000)
