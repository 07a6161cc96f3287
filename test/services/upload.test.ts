/**
 * Uploading standalone services over `/ws/upload`, end to end: the real orchestrator (no internal
 * workers, a runner token, a 1 MB upload limit) and a real `zerverless-runner` that fetches the
 * uploaded files and runs them. Chunked uploads, multi-file groups, resuming after a drop, and the
 * sockets' close at shutdown; refused uploads are in upload-refusals.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import {
  auth,
  base64Chunks,
  fileChunk,
  fileEnd,
  fileResume,
  fileStart,
  sha256,
  UploadClient,
  uploadFile,
  type FileToUpload,
} from '../helpers/upload-client'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

const TOKEN = `upload-token-${randomUUID()}`
const MAX_UPLOAD_BYTES = 1_000_000

let server: ZerverlessProcess
let runner: RunnerProcess
let client: ReturnType<typeof api>
/** Sockets a test opened; closed after each test. */
let sockets: UploadClient[] = []

/** Opens an upload socket, with the token in the upgrade header when given. */
async function connect(token?: string): Promise<UploadClient> {
  const socket = await UploadClient.open(server.url, token)
  sockets.push(socket)
  return socket
}

/** A socket authenticated the way a client without header control would: an AUTH message first. */
async function connectWithAuth(): Promise<UploadClient> {
  const socket = await connect()
  await socket.request(auth(TOKEN), 'AUTH_OK')
  return socket
}

/** A shell script of about `kilobytes` KB: a shebang, a bulky comment, then `body`. */
function bulkyScript(kilobytes: number, body: string): Buffer {
  const filler = Array.from(
    { length: kilobytes },
    (_, i) => `# filler line ${i} ${'x'.repeat(1000)}\n`,
  ).join('')
  return Buffer.from(`#!/bin/sh\n${filler}${body}\n`)
}

const storedDir = () => path.join(server.dataDir, 'standalone_services')
const storedFile = (serviceName: string, filePath: string) =>
  path.join(storedDir(), serviceName, ...filePath.split('/'))
const cachedFile = (serviceName: string, filePath: string) =>
  path.join(runner.dataDir, 'standalone_services', serviceName, ...filePath.split('/'))
const modeOf = (file: string) => statSync(file).mode & 0o777

async function serviceNames(): Promise<string[]> {
  const res = await client.get('/api/services/standalone')
  return res.body.services.map((s: { name: string }) => s.name)
}

async function details(id: number) {
  const res = await client.get(`/api/services/standalone/${id}/details`)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body
}

async function runService(id: number, body: Record<string, unknown> = {}) {
  const started = await client.post(`/api/services/standalone/${id}/run`, body)
  expect(started.status, JSON.stringify(started.body)).toBe(202)
  return (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
}

beforeAll(async () => {
  server = await startZerverless([
    '--workers',
    '0',
    '--runner-token',
    TOKEN,
    '--max-upload-bytes',
    String(MAX_UPLOAD_BYTES),
  ])
  client = api(server.url)
  runner = await startRunner(server.url, ['--token', TOKEN])
}, 60_000)

afterEach(async () => {
  await Promise.all(sockets.map((socket) => socket.close()))
  sockets = []
})

afterAll(async () => {
  if (process.env.ZV_DEBUG) console.log(server?.output(), runner?.output())
  await stopRunner(runner)
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

describe('uploading a service', () => {
  it('takes a script in chunks after AUTH, stores it 0755 and runs it on the runner', async () => {
    const socket = await connectWithAuth()
    const script = bulkyScript(300, 'echo "uploaded says: $1"; cat')
    const chunkSize = 64 * 1024
    const chunks = base64Chunks(script, chunkSize)
    expect(chunks.length).toBeGreaterThanOrEqual(4)

    const started = await socket.request(
      fileStart({
        group: 'echo-group',
        serviceName: 'uploaded-echo',
        filePath: 'echo.sh',
        bytes: script,
        chunkSize,
      }),
      'FILE_UPLOAD_PROGRESS',
    )
    expect(started).toMatchObject({ chunks_received: 0, bytes_uploaded: 0, next_chunk_index: 0 })
    const progress = []
    for (const [index, data] of chunks.entries())
      progress.push(
        await socket.request(fileChunk(started.session_id, index, data), 'FILE_UPLOAD_PROGRESS'),
      )
    const uploaded = progress.map((p) => p.bytes_uploaded)
    expect(uploaded).toEqual([...uploaded].sort((a, b) => a - b))
    expect(new Set(uploaded).size).toBe(chunks.length)
    expect(progress.at(-1)).toMatchObject({
      chunks_received: chunks.length,
      bytes_uploaded: script.length,
      percentage: 100,
    })

    const fileDone = await socket.request(fileEnd(started.session_id), 'FILE_UPLOAD_FILE_COMPLETE')
    expect(fileDone).toEqual({
      session_id: started.session_id,
      file_path: 'echo.sh',
      size: script.length,
      sha256: sha256(script),
    })
    const complete = await socket.expect('FILE_UPLOAD_COMPLETE')
    expect(complete).toMatchObject({ upload_group_id: 'echo-group', files: ['echo.sh'] })
    expect(complete.service_id).toBeGreaterThan(0)

    const stored = storedFile('uploaded-echo', 'echo.sh')
    expect(readFileSync(stored).equals(script)).toBe(true)
    expect(modeOf(stored)).toBe(0o755)
    const { details: info } = await details(complete.service_id)
    expect(info).toMatchObject({
      source: 'upload',
      upload_hash: sha256(script),
      executable_path: 'echo.sh',
    })
    expect(info.files).toEqual([{ path: 'echo.sh', size: script.length, sha256: sha256(script) }])

    const job = await runService(complete.service_id, { arguments: ['hi'], stdin: 'from stdin\n' })
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'completed', exit_code: 0 })
    expect(job.output).toContain('uploaded says: hi')
    expect(job.output).toContain('from stdin')
    const cached = cachedFile('uploaded-echo', 'echo.sh')
    expect(readFileSync(cached).equals(script)).toBe(true)
    expect(modeOf(cached)).toBe(0o755)
  })

  it('makes one service of a multi-file group and runs it with its files laid out', async () => {
    const socket = await connectWithAuth()
    const data = Buffer.from('data shipped beside the script\n')
    const run = Buffer.from('#!/bin/sh\ncat "$(dirname "$0")/lib/data.txt"\n')
    const group = { group: 'layout-group', serviceName: 'uploaded-layout', totalFiles: 2 }

    const first = await uploadFile(socket, {
      ...group,
      filePath: 'lib/data.txt',
      bytes: data,
      chunkSize: 16,
      fileIndex: 0,
    })
    expect(first.ended).toMatchObject({
      type: 'FILE_UPLOAD_FILE_COMPLETE',
      payload: { file_path: 'lib/data.txt' },
    })
    const second = await uploadFile(socket, {
      ...group,
      filePath: 'run.sh',
      bytes: run,
      chunkSize: 1024,
      fileIndex: 1,
      executable: true,
    })
    expect(second.ended).toMatchObject({
      type: 'FILE_UPLOAD_FILE_COMPLETE',
      payload: { file_path: 'run.sh' },
    })
    const complete = await socket.expect('FILE_UPLOAD_COMPLETE')
    expect(complete.files).toEqual(['lib/data.txt', 'run.sh'])

    const { details: info } = await details(complete.service_id)
    expect(info).toMatchObject({
      source: 'upload',
      executable_path: 'run.sh',
      upload_hash: sha256(run),
    })
    expect(info.files.map((f: { path: string }) => f.path)).toEqual(['lib/data.txt', 'run.sh'])
    expect(readFileSync(storedFile('uploaded-layout', 'lib/data.txt')).equals(data)).toBe(true)

    const job = await runService(complete.service_id)
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'completed', exit_code: 0 })
    expect(job.output).toBe(data.toString())
    expect(readFileSync(cachedFile('uploaded-layout', 'lib/data.txt')).equals(data)).toBe(true)
  })

  it('resumes on a new socket after the connection drops halfway', async () => {
    const script = bulkyScript(200, 'echo resumed')
    const chunkSize = 32 * 1024
    const chunks = base64Chunks(script, chunkSize)
    const half = Math.floor(chunks.length / 2)
    expect(half).toBeGreaterThanOrEqual(2)

    const dropped = await connectWithAuth()
    const { session_id: sessionId } = await dropped.request(
      fileStart({
        group: 'resume-group',
        serviceName: 'uploaded-resumed',
        filePath: 'resumed.sh',
        bytes: script,
        chunkSize,
      }),
      'FILE_UPLOAD_PROGRESS',
    )
    for (const [index, data] of chunks.slice(0, half).entries())
      await dropped.request(fileChunk(sessionId, index, data), 'FILE_UPLOAD_PROGRESS')
    await dropped.terminate()

    const socket = await connectWithAuth()
    const resumed = await socket.request(fileResume(sessionId), 'FILE_UPLOAD_PROGRESS')
    expect(resumed).toMatchObject({
      session_id: sessionId,
      chunks_received: half,
      bytes_uploaded: half * chunkSize,
      next_chunk_index: half,
    })
    for (let index = resumed.next_chunk_index; index < chunks.length; index++)
      await socket.request(fileChunk(sessionId, index, chunks[index]!), 'FILE_UPLOAD_PROGRESS')
    await socket.request(fileEnd(sessionId), 'FILE_UPLOAD_FILE_COMPLETE')
    const complete = await socket.expect('FILE_UPLOAD_COMPLETE')
    expect(complete.upload_group_id).toBe('resume-group')

    expect(readFileSync(storedFile('uploaded-resumed', 'resumed.sh')).equals(script)).toBe(true)
    expect((await details(complete.service_id)).details.upload_hash).toBe(sha256(script))
  })

  it('refuses a duplicate service name, keeping the first service and its file', async () => {
    const socket = await connectWithAuth()
    const original = Buffer.from('#!/bin/sh\necho original\n')
    const upload = { serviceName: 'uploaded-twice', filePath: 'app.sh', chunkSize: 1024 }
    await uploadFile(socket, { ...upload, group: 'twice-first', bytes: original })
    const first = await socket.expect('FILE_UPLOAD_COMPLETE')

    const again = await uploadFile(socket, {
      ...upload,
      group: 'twice-second',
      bytes: Buffer.from('#!/bin/sh\necho impostor\n'),
    })
    expect(again.ended.type).toBe('FILE_UPLOAD_FILE_COMPLETE')
    const refused = await socket.expect('FILE_UPLOAD_ERROR')
    expect(refused.code).toBe('SERVICE_FAILED')
    expect(refused.error).toContain("a service named 'uploaded-twice' already exists")

    expect((await serviceNames()).filter((name) => name === 'uploaded-twice')).toHaveLength(1)
    expect((await details(first.service_id)).details.upload_hash).toBe(sha256(original))
    expect(readFileSync(storedFile('uploaded-twice', 'app.sh')).equals(original)).toBe(true)
  })

  it('makes exactly one service when two sockets upload the same new name at once', async () => {
    const [a, b] = await Promise.all([connectWithAuth(), connectWithAuth()])
    const upload = { serviceName: 'uploaded-race', filePath: 'app.sh', chunkSize: 64 }
    const bytes = (who: string) => Buffer.from(`#!/bin/sh\necho ${who}\n${'# pad\n'.repeat(30)}`)
    const outcomes = await Promise.all(
      [a, b].map(async (socket, i) => {
        await uploadFile(socket, { ...upload, group: `race-${i}`, bytes: bytes(`racer-${i}`) })
        return socket.next()
      }),
    )
    const types = outcomes.map((o) => o.type).sort()
    expect(types).toEqual(['FILE_UPLOAD_COMPLETE', 'FILE_UPLOAD_ERROR'])
    const loser = outcomes.find((o) => o.type === 'FILE_UPLOAD_ERROR')!
    expect(loser.payload).toMatchObject({ error: "a service named 'uploaded-race' already exists" })
    expect((await serviceNames()).filter((name) => name === 'uploaded-race')).toHaveLength(1)
    // The loser wrote nothing over the winner's file.
    const winner = outcomes.find((o) => o.type === 'FILE_UPLOAD_COMPLETE')!
    const id = (winner.payload as { service_id: number }).service_id
    const stored = readFileSync(storedFile('uploaded-race', 'app.sh'))
    expect((await details(id)).details.upload_hash).toBe(sha256(stored))
  })

  it('answers a replayed START of a completed group, but refuses a new file under its id', async () => {
    const socket = await connectWithAuth()
    const file: FileToUpload = {
      group: 'reused-group',
      serviceName: 'uploaded-reused',
      filePath: 'app.sh',
      bytes: Buffer.from('#!/bin/sh\necho first\n'),
      chunkSize: 1024,
    }
    await uploadFile(socket, file)
    const complete = await socket.expect('FILE_UPLOAD_COMPLETE')

    const replayed = await socket.request(fileStart(file), 'FILE_UPLOAD_COMPLETE')
    expect(replayed.service_id).toBe(complete.service_id)
    const other = {
      ...file,
      serviceName: 'uploaded-reused-other',
      bytes: Buffer.from('#!/bin/sh\n'),
    }
    const refused = await socket.request(fileStart(other), 'FILE_UPLOAD_ERROR')
    expect(refused.code).toBe('BAD_MESSAGE')
    expect(refused.error).toContain('already completed; use a new upload_group_id')
    expect(await serviceNames()).not.toContain('uploaded-reused-other')
  })
})

describe('shutting down', () => {
  it('closes open upload sockets with 1001 and exits promptly', async () => {
    const own = await startZerverless(['--workers', '0'])
    try {
      const socket = await UploadClient.open(own.url)
      const closed = socket.waitClosed(10_000)
      expect(await own.stop()).toBe(0)
      expect((await closed).code).toBe(1001)
    } finally {
      await own.kill()
      removeDir(own.dataDir)
    }
  })
})
