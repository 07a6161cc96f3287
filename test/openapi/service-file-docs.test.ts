/**
 * The OpenAPI entry of a runner's file fetch (`GET /api/services/standalone/{id}/files/{path}`)
 * against a real Node server, a real upload over `/ws/upload` and a real `zerverless-runner`
 * running the uploaded service: with the running job's own token the file is served (200), and
 * the entry's 401 and 404 are what the route gives around it.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLogger } from '../../edge/core/observability/logger'
import { serviceRoutes } from '../../edge/core/routes/service-routes'
import { startServer, type RunningServer } from '../../edge/node/server'
import { api, fetcherOf } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { documentedCall } from '../helpers/route-docs'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { UploadClient, uploadFile } from '../helpers/upload-client'

const TOKEN = `runner-token-${randomUUID()}`
const SCRIPT = Buffer.from('#!/bin/sh\nsleep 20\necho late\n')
const dataDir = tempDir('zv-docs-files-')
let server: RunningServer
let runner: RunnerProcess

beforeAll(async () => {
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 0,
    logger: jsonLogger(() => {}, 'error'),
    config: { runnerToken: TOKEN },
  })
  runner = await startRunner(server.url, ['--token', TOKEN])
}, 60_000)

afterAll(async () => {
  await stopRunner(runner)
  await server?.close()
  removeDir(dataDir)
})

describe("a runner's file fetch as documented", () => {
  it('serves an uploaded file to the job running it, and no one else', async () => {
    const socket = await UploadClient.open(server.url, TOKEN)
    const file = {
      group: 'docs-group',
      serviceName: 'docs-upload',
      filePath: 'slow.sh',
      bytes: SCRIPT,
      chunkSize: 1024,
    }
    const { ended } = await uploadFile(socket, file)
    expect(ended.type).toBe('FILE_UPLOAD_FILE_COMPLETE')
    const { service_id: id } = (await socket.expect('FILE_UPLOAD_COMPLETE')) as {
      service_id: number
    }
    await socket.close()

    const client = api(server.url)
    const started = await client.post(`/api/services/standalone/${id}/run`, {})
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    const job: string = started.body.job.id
    const token = await eventually(() => server.orchestrator.scheduler.jobToken(job)?.token)
    const fetchFile = (path: string, bearer?: string) =>
      documentedCall(
        serviceRoutes,
        fetcherOf(server.url),
        'GET',
        `/api/services/standalone/${id}/files/${path}?job=${job}`,
        undefined,
        bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
      )
    try {
      expect(await fetchFile('slow.sh', token)).toEqual({ status: 200, body: SCRIPT.toString() })
      expect((await fetchFile('other.sh', token)).status).toBe(404)
      expect((await fetchFile('slow.sh')).status).toBe(401)
      expect((await fetchFile('slow.sh', 'not-the-token')).status).toBe(401)
    } finally {
      await client.delete(`/api/jobs/${job}`)
    }
  })
})
