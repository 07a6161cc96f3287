/**
 * Uploads over `/ws/upload` that are refused, against the core in process (a runner token, a 1 MB
 * upload limit, files in a temporary directory): authentication, unsafe paths, bad chunks, a wrong
 * hash, too large; none leaves a file or a service behind. Uploads that succeed and run on a
 * runner are in upload.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/test-app'
import {
  auth,
  base64Chunks,
  fileChunk,
  fileEnd,
  fileStart,
  sha256,
  type FileToUpload,
  type UploadClient,
} from '../helpers/upload-client'

const TOKEN = `upload-token-${randomUUID()}`
const MAX_UPLOAD_BYTES = 1_000_000

let server: TestApp
/** Sockets a test opened; closed after each test. */
let sockets: UploadClient[] = []

/** Opens an upload socket, with the token in the upgrade header when given. */
async function connect(token?: string): Promise<UploadClient> {
  const socket = await server.uploadClient(token)
  sockets.push(socket)
  return socket
}

const dataDir = () => server.dataDir as string
const storedDir = () => path.join(dataDir(), 'standalone_services')

/** Every file under `dir`, recursively, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

async function serviceNames(): Promise<string[]> {
  const res = await server.api.get('/api/services/standalone')
  return res.body.services.map((s: { name: string }) => s.name)
}

beforeAll(async () => {
  server = await createTestApp({
    volunteers: 0,
    config: { runnerToken: TOKEN, maxUploadBytes: MAX_UPLOAD_BYTES },
  })
})

afterEach(async () => {
  await Promise.all(sockets.map((socket) => socket.close()))
  sockets = []
})

afterAll(async () => {
  await server.close()
})

describe('upload authentication', () => {
  const probe: FileToUpload = {
    group: 'auth-probe',
    serviceName: 'uploaded-auth-probe',
    filePath: 'probe.sh',
    bytes: Buffer.from('#!/bin/sh\necho probe\n'),
    chunkSize: 1024,
  }

  it('refuses START on a socket that has no token', async () => {
    const socket = await connect()
    const refused = await socket.request(fileStart(probe), 'FILE_UPLOAD_ERROR')
    expect(refused).toMatchObject({ session_id: null, code: 'UNAUTHORIZED' })
  })

  it('closes the socket after three AUTH messages with a wrong token', async () => {
    const socket = await connect()
    for (let attempt = 1; attempt <= 3; attempt++) {
      const refused = await socket.request(auth(`wrong-${attempt}`), 'FILE_UPLOAD_ERROR')
      expect(refused.code).toBe('UNAUTHORIZED')
    }
    const closed = await socket.waitClosed()
    expect(closed.code).toBe(1008)
  })

  it('accepts START without AUTH when the upgrade carries the token', async () => {
    const socket = await connect(TOKEN)
    const started = await socket.request(fileStart(probe), 'FILE_UPLOAD_PROGRESS')
    expect(started).toMatchObject({ chunks_received: 0, next_chunk_index: 0 })
  })
})

describe('refused uploads', () => {
  const script = Buffer.from(`#!/bin/sh\necho refused\n${'# padding\n'.repeat(40)}`)
  const upload = (group: string, serviceName: string): FileToUpload => ({
    group,
    serviceName,
    filePath: 'app.sh',
    bytes: script,
    chunkSize: 128,
  })

  /** Runs `refuse` and checks it stored no file and created no service. */
  async function leavesNothing(serviceName: string, refuse: () => Promise<void>) {
    const before = filesUnder(storedDir())
    await refuse()
    expect(filesUnder(storedDir())).toEqual(before)
    expect(existsSync(path.join(storedDir(), serviceName))).toBe(false)
    expect(await serviceNames()).not.toContain(serviceName)
  }

  it('refuses paths that leave the service directory, and writes nothing anywhere', async () => {
    const socket = await connect(TOKEN)
    const escapee = `zv-escape-${randomUUID()}.sh`
    const before = filesUnder(storedDir())
    const unsafe: [string, Partial<FileToUpload>][] = [
      ['escape.sh', { filePath: `../${escapee}` }],
      ['beside the data dir', { filePath: `../../../${escapee}` }],
      ['absolute', { filePath: '/etc/passwd' }],
      ['empty segment', { filePath: 'a//b' }],
      ['service name ..', { serviceName: '..' }],
      ['hidden service name', { serviceName: '.hidden' }],
    ]
    for (const [what, change] of unsafe) {
      const refused = await socket.request(
        fileStart({
          ...upload(`unsafe-${what.replace(/\W/g, '-')}`, 'uploaded-unsafe'),
          ...change,
        }),
        'FILE_UPLOAD_ERROR',
      )
      expect(refused, what).toMatchObject({ session_id: null, code: 'INVALID_PATH' })
    }
    expect(filesUnder(storedDir())).toEqual(before)
    expect(filesUnder(dataDir()).filter((f) => f.endsWith(escapee))).toEqual([])
    expect(existsSync(path.join(path.dirname(dataDir()), escapee))).toBe(false)
    expect(existsSync(path.join(storedDir(), 'uploaded-unsafe'))).toBe(false)
  })

  it('refuses a chunk that is not standard base64', async () => {
    const socket = await connect(TOKEN)
    await leavesNothing('uploaded-bad-base64', async () => {
      const started = await socket.request(
        fileStart(upload('bad-base64', 'uploaded-bad-base64')),
        'FILE_UPLOAD_PROGRESS',
      )
      const refused = await socket.request(
        fileChunk(started.session_id, 0, 'not base64!!'),
        'FILE_UPLOAD_ERROR',
      )
      expect(refused).toMatchObject({ session_id: started.session_id, code: 'INVALID_ENCODING' })
    })
  })

  it('refuses a chunk sent out of order', async () => {
    const socket = await connect(TOKEN)
    await leavesNothing('uploaded-out-of-order', async () => {
      const started = await socket.request(
        fileStart(upload('out-of-order', 'uploaded-out-of-order')),
        'FILE_UPLOAD_PROGRESS',
      )
      const chunks = base64Chunks(script, 128)
      const refused = await socket.request(
        fileChunk(started.session_id, 1, chunks[1]!),
        'FILE_UPLOAD_ERROR',
      )
      expect(refused).toMatchObject({ session_id: started.session_id, code: 'CHUNK_OUT_OF_ORDER' })
    })
  })

  it('refuses a file whose sha256 does not match at END, and drops its part', async () => {
    const socket = await connect(TOKEN)
    await leavesNothing('uploaded-wrong-hash', async () => {
      const wrong = sha256(Buffer.from('some other file'))
      const started = await socket.request(
        fileStart(upload('wrong-hash', 'uploaded-wrong-hash'), { sha256: wrong }),
        'FILE_UPLOAD_PROGRESS',
      )
      for (const [index, data] of base64Chunks(script, 128).entries())
        await socket.request(fileChunk(started.session_id, index, data), 'FILE_UPLOAD_PROGRESS')
      const refused = await socket.request(fileEnd(started.session_id), 'FILE_UPLOAD_ERROR')
      expect(refused).toMatchObject({ session_id: started.session_id, code: 'HASH_MISMATCH' })
      expect(filesUnder(path.join(dataDir(), 'uploads'))).not.toContain(
        `${started.session_id}.part`,
      )
    })
  })

  it('refuses a file larger than --max-upload-bytes before taking any of it', async () => {
    const socket = await connect(TOKEN)
    await leavesNothing('uploaded-too-large', async () => {
      const totalSize = 2 * MAX_UPLOAD_BYTES
      const refused = await socket.request(
        fileStart(upload('too-large', 'uploaded-too-large'), {
          total_size: totalSize,
          chunk_size: 64 * 1024,
          total_chunks: Math.ceil(totalSize / (64 * 1024)),
          sha256: undefined,
        }),
        'FILE_UPLOAD_ERROR',
      )
      expect(refused).toMatchObject({ session_id: null, code: 'TOO_LARGE' })
    })
  })
})
