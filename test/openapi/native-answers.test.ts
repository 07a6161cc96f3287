/**
 * A native job's answers against the OpenAPI document: a real orchestrator (auth off, on
 * loopback) and a real `zerverless-runner` process run a standalone service's script, whose job
 * view (stderr, exit code, output files) and its stdout file are read through the documented routes.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLogger } from '../../edge/core/observability/logger'
import { startServer, type RunningServer } from '../../edge/node/server'
import { api, type ApiClient } from '../helpers/api'
import { expectMatchesDocument } from '../helpers/openapi-match'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { removeDir, tempDir } from '../helpers/temp-dir'

let server: RunningServer
let runner: RunnerProcess
let client: ApiClient
const dataDir = tempDir('zv-oapi-native-')
const scripts = tempDir('zv-oapi-scripts-')

beforeAll(async () => {
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 0,
    logger: jsonLogger(() => {}, 'error'),
  })
  client = api(server.url)
  runner = await startRunner(server.url, ['--no-sandbox'])
}, 60_000)

afterAll(async () => {
  await stopRunner(runner)
  await server?.close()
  removeDir(dataDir)
  removeDir(scripts)
})

describe('native job answers match the OpenAPI document', () => {
  it('a run: its job, its output list and its stdout file', async () => {
    const file = path.join(scripts, 'out.sh')
    writeFileSync(file, '#!/bin/bash\necho hello\necho oops >&2\n', { mode: 0o755 })
    const service = await client.post('/api/services/standalone/from-local', {
      service_name: 'oapi-native',
      namespace: 'default',
      peer_id: runner.peerId,
      executable_path: file,
    })
    expect(service.status, JSON.stringify(service.body)).toBe(201)
    const started = await client.post(`/api/services/standalone/${service.body.service.id}/run`, {})
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    const job = await client.get(`/api/jobs/${started.body.job.id}?wait=30`)
    expect(job.body).toMatchObject({ job_type: 'native', status: 'completed', exit_code: 0 })
    expectMatchesDocument(job, 'GET', '/api/jobs/{id}')

    const outputs = await client.get(`/api/jobs/${job.body.id}/outputs`)
    expect(outputs.body.outputs.map((o: { name: string }) => o.name)).toContain('stdout.txt')
    expectMatchesDocument(outputs, 'GET', '/api/jobs/{id}/outputs')

    const stdout = await fetch(`${server.url}/api/jobs/${job.body.id}/outputs/stdout.txt`)
    const text = await stdout.text()
    expect(text).toBe('hello\n')
    expectMatchesDocument(
      { status: stdout.status, body: text, headers: stdout.headers },
      'GET',
      '/api/jobs/{id}/outputs/{path}',
    )
  })
})
