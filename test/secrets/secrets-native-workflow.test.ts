/**
 * Secrets as environment variables of native runs on a real `zerverless-runner` (trusted by the
 * runner token), and in workflow steps (a js step and a service step): the values arrive, and what
 * comes back (stdout, stderr, step results) is redacted before it is kept.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLogger } from '../../edge/core/observability/logger'
import { startServer, type RunningServer } from '../../edge/node/server'
import { api, type ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { removeDir, tempDir } from '../helpers/temp-dir'

const RUNNER_TOKEN = `runner-${randomBytes(16).toString('hex')}`
const VALUE = 'db-password-4f9e8d7c'
const reversed = VALUE.split('').reverse().join('')

let server: RunningServer
let dataDir: string
let scripts: string
let runner: RunnerProcess
let client: ApiClient
let serviceId: number

beforeAll(async () => {
  dataDir = tempDir('zv-secrets-native-')
  scripts = tempDir('zv-secrets-scripts-')
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 1,
    logger: jsonLogger(() => {}, 'error'),
    config: { runnerToken: RUNNER_TOKEN },
  })
  client = api(server.url)
  runner = await startRunner(server.url, ['--token', RUNNER_TOKEN, '--no-sandbox'])
  const file = path.join(scripts, 'use-secret.sh')
  writeFileSync(
    file,
    '#!/bin/bash\necho "password=$DB_PASSWORD"\necho "$DB_PASSWORD" | rev\necho "oops $DB_PASSWORD" >&2\n',
    { mode: 0o755 },
  )
  const created = await client.post('/api/services/standalone/from-local', {
    service_name: 'use-secret',
    peer_id: runner.peerId,
    executable_path: file,
  })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  serviceId = created.body.service.id
  expect((await client.put('/api/secrets/default/DB_PASSWORD', { value: VALUE })).status).toBe(201)
  await eventually(
    async () => (await client.get('/stats')).body.volunteers.connected >= 2 || undefined,
    30_000,
    'a runner and an internal worker',
  )
}, 90_000)

afterAll(async () => {
  await stopRunner(runner)
  await server?.close()
  removeDir(dataDir)
  removeDir(scripts)
})

describe('secrets in native runs and workflows', () => {
  it('gives a service run its secrets as environment variables, and redacts stdout and stderr', async () => {
    const refused = await client.post(`/api/services/standalone/${serviceId}/run`, {
      secrets: ['NOPE'],
    })
    expect(refused).toMatchObject({ status: 400, body: { code: 'SECRET_NOT_FOUND' } })
    const started = await client.post(`/api/services/standalone/${serviceId}/run`, {
      secrets: ['DB_PASSWORD'],
    })
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    const job = (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
    expect(job.status, JSON.stringify(job)).toBe('completed')
    expect(job.output).toBe(`password=[secret DB_PASSWORD]\n${reversed}\n`)
    expect(job.stderr).toBe('oops [secret DB_PASSWORD]\n')
    expect(job.secrets).toEqual(['DB_PASSWORD'])
    // The runner's uploaded stream files are redacted too.
    const stdout = await fetch(`${server.url}/api/jobs/${job.id}/outputs/stdout.txt`)
    expect(await stdout.text()).toBe(`password=[secret DB_PASSWORD]\n${reversed}\n`)
    const stderr = await fetch(`${server.url}/api/jobs/${job.id}/outputs/stderr.txt`)
    expect(await stderr.text()).toBe('oops [secret DB_PASSWORD]\n')
    // Without the declaration the variable is not there.
    const bare = await client.post(`/api/services/standalone/${serviceId}/run`, {})
    const plain = (await client.get(`/api/jobs/${bare.body.job.id}?wait=30`)).body
    expect(plain.output).toBe('password=\n\n')
  }, 60_000)

  it('gives every run of a service that declares secrets its values', async () => {
    const file = path.join(scripts, 'use-secret-2.sh')
    writeFileSync(file, '#!/bin/bash\necho "len=${#DB_PASSWORD} $DB_PASSWORD"\n', { mode: 0o755 })
    const body = {
      service_name: 'declares-secret',
      peer_id: runner.peerId,
      executable_path: file,
      secrets: ['NOPE'],
    }
    const refused = await client.post('/api/services/standalone/from-local', body)
    expect(refused).toMatchObject({ status: 400, body: { code: 'SECRET_NOT_FOUND' } })
    const created = await client.post('/api/services/standalone/from-local', {
      ...body,
      secrets: ['DB_PASSWORD'],
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const details = await client.get(`/api/services/standalone/${created.body.service.id}/details`)
    expect(details.body.details.secrets).toEqual(['DB_PASSWORD'])
    const started = await client.post(`/api/services/standalone/${created.body.service.id}/run`, {})
    const job = (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
    expect(job).toMatchObject({
      status: 'completed',
      output: `len=${VALUE.length} [secret DB_PASSWORD]\n`,
      secrets: ['DB_PASSWORD'],
    })
  }, 60_000)

  it('delivers secrets to js and service steps of a workflow, and keeps them out of step results', async () => {
    const refused = await client.post('/api/workflows', {
      name: 'bad-secrets',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1', secrets: ['NOPE'] } }],
    })
    expect(refused).toMatchObject({
      status: 400,
      body: { code: 'SECRET_NOT_FOUND', field: 'steps.0.run.secrets' },
    })
    const created = await client.post('/api/workflows', {
      name: 'with-secrets',
      steps: [
        {
          id: 'sign',
          run: {
            runtime: 'js',
            code: '({ echo: SECRETS.DB_PASSWORD, n: SECRETS.DB_PASSWORD.length })',
            secrets: ['DB_PASSWORD'],
          },
        },
        { id: 'native', run: { service: 'use-secret', secrets: ['DB_PASSWORD'] } },
      ],
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await client.post(`/api/workflows/${created.body.id}/runs`, {})
    const run = (await client.get(`/api/workflow-runs/${started.body.id}?wait=60`)).body
    expect(run.status, JSON.stringify(run)).toBe('completed')
    const step = (id: string) => run.steps.find((s: { id: string }) => s.id === id)
    expect(step('sign').result).toEqual({ echo: '[secret DB_PASSWORD]', n: VALUE.length })
    expect(step('native').output).toContain(reversed)
    expect(JSON.stringify(run)).not.toContain(VALUE)
  }, 90_000)
})
