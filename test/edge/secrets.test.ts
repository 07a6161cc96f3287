/**
 * Secrets on the Worker under real workerd: each room makes its box from SECRETS_KEY; a job that
 * declares one reaches a runner-token volunteer with the value and comes back redacted, never a
 * browser tab. Without SECRETS_KEY the routes answer 503 saying what to set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { startEdge, type EdgeProcess } from '../helpers/edge-process'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'

const RUNNER_TOKEN = 'edge-runner-token-for-secrets-0123456789'
const VALUE = 'edge-secret-value-5e6f'

describe('secrets on Workers with SECRETS_KEY', () => {
  let edge: EdgeProcess
  let client: ApiClient

  beforeAll(async () => {
    edge = await startEdge({
      rooms: 1,
      vars: { SECRETS_KEY: 'c'.repeat(64), RUNNER_TOKEN },
    })
    client = api(edge.url)
  }, 120_000)

  afterAll(async () => {
    await edge?.dispose()
  })

  it('keeps secrets and sends them only to a runner-token executor, redacting what it returns', async () => {
    expect((await client.put('/api/secrets/alice/API_KEY', { value: VALUE })).status).toBe(201)
    expect((await client.get('/api/secrets/alice')).body.secrets).toMatchObject([
      { name: 'API_KEY' },
    ])
    const tab = await ScriptedVolunteer.connect(
      edge.wsUrl,
      {},
      { hello: { agent: { kind: 'browser' } } },
    )
    try {
      const job = await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'alice',
        code: 'SECRETS.API_KEY',
        secrets: ['API_KEY'],
      })
      expect(job.status, JSON.stringify(job.body)).toBe(201)
      await tab.expectNo('job', 1500)
      const runner = await ScriptedVolunteer.connect(
        `${edge.wsUrl}?role=runner`,
        {},
        { hello: { token: RUNNER_TOKEN } },
      )
      try {
        const frame = await runner.next('job', 20_000)
        expect(frame.secrets).toEqual({ API_KEY: VALUE })
        runner.complete(frame, VALUE, `${VALUE}\n`)
        const done = await client.get(`/api/jobs/${job.body.id}?wait=10`)
        expect(done.body).toMatchObject({
          status: 'completed',
          result: '[secret API_KEY]',
          output: '[secret API_KEY]\n',
        })
      } finally {
        runner.close()
      }
    } finally {
      tab.close()
    }
  }, 60_000)
})

describe('secrets on Workers without SECRETS_KEY', () => {
  it('answers 503 naming the secret to set, and refuses work that declares secrets', async () => {
    const edge = await startEdge({ rooms: 1 })
    try {
      const client = api(edge.url)
      const put = await client.put('/api/secrets/alice/API_KEY', { value: 'x' })
      expect(put).toMatchObject({ status: 503, body: { code: 'SECRETS_UNAVAILABLE' } })
      expect(put.body.error).toContain('wrangler secret put SECRETS_KEY')
      const job = await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'alice',
        code: '1',
        secrets: ['API_KEY'],
      })
      expect(job).toMatchObject({ status: 503, body: { code: 'SECRETS_UNAVAILABLE' } })
    } finally {
      await edge.dispose()
    }
  }, 120_000)
})
