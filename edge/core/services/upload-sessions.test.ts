import { describe, expect, it, vi } from 'vitest'
import { sha256Hex } from '../../../shared/protocol/hash'
import {
  encodeUploadMessage,
  parseUploadServerMessage,
  type FileUploadStart,
  type UploadServerMessage,
} from '../../../shared/protocol/upload-protocol'
import {
  UploadSessions,
  type CompleteGroup,
  type UploadConnection,
  type UploadGroupDone,
  type UploadSink,
} from './upload-sessions'

/** Parts in memory; `failNext` makes the next append throw after writing `partial` bytes. */
class MemorySink implements UploadSink {
  readonly parts = new Map<string, Uint8Array[]>()
  failNext?: { partial: number }

  async append(sessionId: string, bytes: Uint8Array): Promise<void> {
    const part = this.parts.get(sessionId) ?? []
    this.parts.set(sessionId, part)
    if (this.failNext) {
      const { partial } = this.failNext
      this.failNext = undefined
      if (partial > 0) part.push(bytes.slice(0, partial))
      throw new Error('disk full')
    }
    part.push(bytes.slice())
  }
  async size(sessionId: string): Promise<number> {
    return (this.parts.get(sessionId) ?? []).reduce((n, b) => n + b.length, 0)
  }
  async read(sessionId: string): Promise<ReadableStream<Uint8Array>> {
    const part = this.parts.get(sessionId) ?? []
    return new ReadableStream({
      start(controller) {
        for (const bytes of part) controller.enqueue(bytes)
        controller.close()
      },
    })
  }
  async discard(sessionId: string): Promise<void> {
    this.parts.delete(sessionId)
  }
  async bytes(sessionId: string): Promise<Uint8Array> {
    return new Uint8Array(await new Response(await this.read(sessionId)).arrayBuffer())
  }
}

const TOKEN = 'secret-token'

function setup(options: { complete?: CompleteGroup; maxFileBytes?: number } = {}) {
  const sink = new MemorySink()
  let clock = 1_000_000
  let ids = 0
  const stored: { group: UploadGroupDone; contents: Uint8Array[] }[] = []
  const complete = vi.fn<CompleteGroup>(
    options.complete ??
      (async (group, s) => {
        const contents = await Promise.all(
          group.files.map(
            async (f) =>
              new Uint8Array(await new Response(await s.read(f.sessionId)).arrayBuffer()),
          ),
        )
        stored.push({ group, contents })
        return { serviceId: 42 }
      }),
  )
  const sessions = new UploadSessions({
    sink,
    complete,
    maxFileBytes: options.maxFileBytes ?? 1024 * 1024,
    sessionTtlMs: 60_000,
    now: () => clock,
    newId: () => `s${++ids}`,
  })
  const connect = (authenticated = true) =>
    sessions.connection({ authenticated, checkToken: (token) => token === TOKEN })
  const advance = (ms: number) => (clock += ms)
  return { sink, sessions, complete, stored, connect, advance }
}

/** Sends one message; returns the decoded replies (and whether to close). */
async function send(conn: UploadConnection, message: unknown) {
  const text = typeof message === 'string' ? message : JSON.stringify(message)
  const { replies, close } = await conn.receive(text)
  const messages = replies.map((r) => {
    const parsed = parseUploadServerMessage(r)
    if (!parsed.ok) throw new Error(`server sent an invalid message: ${parsed.error}`)
    return parsed.message
  })
  return { messages, close }
}

async function one(conn: UploadConnection, message: unknown): Promise<UploadServerMessage> {
  const { messages } = await send(conn, message)
  expect(messages).toHaveLength(1)
  return messages[0]!
}

const DONE = ['FILE_UPLOAD_FILE_COMPLETE', 'FILE_UPLOAD_COMPLETE']

/** Ends a file; returns the reply types. */
async function endTypes(conn: UploadConnection, sessionId: string): Promise<string[]> {
  return (await send(conn, end(sessionId))).messages.map((m) => m.type)
}

const errorCode = (m: UploadServerMessage) =>
  m.type === 'FILE_UPLOAD_ERROR' ? m.payload.code : m.type

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

function content(length: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)
}

type StartPayload = FileUploadStart['payload']

function startFor(data: Uint8Array, chunkSize: number, extra: Partial<StartPayload> = {}) {
  return {
    type: 'FILE_UPLOAD_START',
    payload: {
      upload_group_id: 'group-1',
      service_name: 'my-app',
      filename: 'app',
      file_path: 'app',
      file_index: 0,
      total_files: 1,
      total_size: data.length,
      total_chunks: Math.max(1, Math.ceil(data.length / chunkSize)),
      chunk_size: chunkSize,
      ...extra,
    },
  }
}

const chunk = (sessionId: string, index: number, bytes: Uint8Array | string) => ({
  type: 'FILE_UPLOAD_CHUNK',
  payload: {
    session_id: sessionId,
    chunk_index: index,
    data: typeof bytes === 'string' ? bytes : base64(bytes),
  },
})
const end = (sessionId: string) => ({ type: 'FILE_UPLOAD_END', payload: { session_id: sessionId } })
const resume = (sessionId: string) => ({
  type: 'FILE_UPLOAD_RESUME',
  payload: { session_id: sessionId },
})

/** STARTs a file and returns its session id. */
async function begin(conn: UploadConnection, start: unknown): Promise<string> {
  const reply = await one(conn, start)
  if (reply.type !== 'FILE_UPLOAD_PROGRESS') throw new Error(JSON.stringify(reply))
  return reply.payload.session_id
}

/** Sends chunks [from, to) of `data`; returns the last reply. */
async function sendChunks(
  conn: UploadConnection,
  sessionId: string,
  data: Uint8Array,
  chunkSize: number,
  from = 0,
  to = Math.max(1, Math.ceil(data.length / chunkSize)),
) {
  let last: UploadServerMessage | undefined
  for (let i = from; i < to; i++) {
    last = await one(conn, chunk(sessionId, i, data.subarray(i * chunkSize, (i + 1) * chunkSize)))
    expect(last.type).toBe('FILE_UPLOAD_PROGRESS')
  }
  return last!
}

describe('UploadSessions', () => {
  it("hands the service layer the namespaces of the connection's token", async () => {
    const { sessions, stored } = setup()
    const onlyAlice = (ns: string) => ns === 'alice'
    const conn = sessions.connection({
      authenticated: false,
      checkToken: (token) => (token === TOKEN ? onlyAlice : undefined),
    })
    expect((await one(conn, { type: 'AUTH', payload: { token: 'wrong' } })).type).toBe(
      'FILE_UPLOAD_ERROR',
    )
    expect((await one(conn, { type: 'AUTH', payload: { token: TOKEN } })).type).toBe('AUTH_OK')
    const data = content(10)
    const id = await begin(conn, startFor(data, 1024))
    await sendChunks(conn, id, data, 1024)
    expect(await endTypes(conn, id)).toEqual(DONE)
    const covers = stored[0]?.group.covers
    expect([covers?.('alice'), covers?.('bob')]).toEqual([true, false])
  })

  it('uploads a multi-file group in chunks and creates the service once', async () => {
    const { connect, complete, stored, sink } = setup()
    const conn = connect()
    const app = content(2500, 1)
    const lib = content(1000, 7)
    const empty = new Uint8Array(0)
    const settings = { arguments: ['--port', '8080'], timeout_seconds: 60 }

    const appId = await begin(
      conn,
      startFor(app, 1024, { total_files: 3, sha256: await sha256Hex(app), service: settings }),
    )
    const libId = await begin(
      conn,
      startFor(lib, 512, {
        total_files: 3,
        file_index: 1,
        file_path: 'lib/helper.so',
        filename: 'helper.so',
      }),
    )
    const emptyId = await begin(
      conn,
      startFor(empty, 64, {
        total_files: 3,
        file_index: 2,
        file_path: 'data/empty',
        filename: 'empty',
      }),
    )

    const progress = await sendChunks(conn, appId, app, 1024)
    expect(progress).toEqual({
      type: 'FILE_UPLOAD_PROGRESS',
      payload: {
        session_id: appId,
        chunks_received: 3,
        bytes_uploaded: 2500,
        percentage: 100,
        next_chunk_index: 3,
      },
    })
    expect(await one(conn, end(appId))).toEqual({
      type: 'FILE_UPLOAD_FILE_COMPLETE',
      payload: { session_id: appId, file_path: 'app', size: 2500, sha256: await sha256Hex(app) },
    })
    await sendChunks(conn, libId, lib, 512)
    expect((await one(conn, end(libId))).type).toBe('FILE_UPLOAD_FILE_COMPLETE')
    expect(complete).not.toHaveBeenCalled()

    await sendChunks(conn, emptyId, empty, 64)
    const { messages } = await send(conn, end(emptyId))
    expect(messages.map((m) => m.type)).toEqual([
      'FILE_UPLOAD_FILE_COMPLETE',
      'FILE_UPLOAD_COMPLETE',
    ])
    expect(messages[1]).toEqual({
      type: 'FILE_UPLOAD_COMPLETE',
      payload: {
        upload_group_id: 'group-1',
        service_id: 42,
        files: ['app', 'lib/helper.so', 'data/empty'],
        success: true,
      },
    })

    expect(complete).toHaveBeenCalledTimes(1)
    const [{ group, contents }] = stored
    expect(group).toEqual({
      uploadGroupId: 'group-1',
      serviceId: undefined,
      serviceName: 'my-app',
      service: settings,
      covers: expect.any(Function),
      files: [
        {
          sessionId: appId,
          filePath: 'app',
          size: 2500,
          sha256: await sha256Hex(app),
          executable: true,
        },
        {
          sessionId: libId,
          filePath: 'lib/helper.so',
          size: 1000,
          sha256: await sha256Hex(lib),
          executable: false,
        },
        {
          sessionId: emptyId,
          filePath: 'data/empty',
          size: 0,
          sha256: await sha256Hex(empty),
          executable: false,
        },
      ],
    })
    expect(contents).toEqual([app, lib, empty])
    expect(sink.parts.size).toBe(0)
  })

  it('makes the file that says executable the entry point instead of file 0', async () => {
    const { connect, stored } = setup()
    const conn = connect()
    const a = content(10)
    const b = content(10, 3)
    const aId = await begin(conn, startFor(a, 10, { total_files: 2, file_path: 'README' }))
    const bId = await begin(
      conn,
      startFor(b, 10, { total_files: 2, file_index: 1, file_path: 'bin/run', executable: true }),
    )
    await sendChunks(conn, aId, a, 10)
    await sendChunks(conn, bId, b, 10)
    await send(conn, end(aId))
    await send(conn, end(bId))
    expect(stored[0]!.group.files.map((f) => [f.filePath, f.executable])).toEqual([
      ['README', false],
      ['bin/run', true],
    ])
  })

  it('passes service_id through when the group updates an existing service', async () => {
    const { connect, stored } = setup()
    const conn = connect()
    const data = content(5)
    const id = await begin(conn, startFor(data, 5, { service_id: 7, service_name: undefined }))
    await sendChunks(conn, id, data, 5)
    await send(conn, end(id))
    expect(stored[0]!.group).toMatchObject({ serviceId: 7, serviceName: undefined })
  })

  describe('authentication', () => {
    it('answers everything but AUTH with UNAUTHORIZED until a token is accepted', async () => {
      const { connect } = setup()
      const conn = connect(false)
      const data = content(4)
      expect(errorCode(await one(conn, startFor(data, 4)))).toBe('UNAUTHORIZED')
      expect(errorCode(await one(conn, 'not json'))).toBe('UNAUTHORIZED')
      expect(await one(conn, { type: 'AUTH', payload: { token: TOKEN } })).toEqual({
        type: 'AUTH_OK',
        payload: {},
      })
      expect((await one(conn, startFor(data, 4))).type).toBe('FILE_UPLOAD_PROGRESS')
    })

    it('refuses a wrong token and closes after three', async () => {
      const { connect } = setup()
      const conn = connect(false)
      const bad = { type: 'AUTH', payload: { token: 'guess' } }
      for (let i = 0; i < 2; i++) {
        const { messages, close } = await send(conn, bad)
        expect(messages.map(errorCode)).toEqual(['UNAUTHORIZED'])
        expect(close).toBe(false)
      }
      const third = await send(conn, bad)
      expect(third.messages.map(errorCode)).toEqual(['UNAUTHORIZED'])
      expect(third.close).toBe(true)
      // Even the right token is too late now.
      const after = await send(conn, { type: 'AUTH', payload: { token: TOKEN } })
      expect(after.close).toBe(true)
      expect(after.messages.map(errorCode)).toEqual(['UNAUTHORIZED'])
    })

    it('treats a token check that throws as a retryable refusal', async () => {
      const { sessions } = setup()
      const conn = sessions.connection({
        authenticated: false,
        checkToken: () => {
          throw new Error('auth backend down')
        },
      })
      const { messages, close } = await send(conn, { type: 'AUTH', payload: { token: TOKEN } })
      expect(messages[0]).toMatchObject({
        payload: { code: 'UNAUTHORIZED', error: expect.stringMatching(/try again/) },
      })
      expect(close).toBe(false)
    })

    it('accepts AUTH on a socket the host already authenticated', async () => {
      const { connect } = setup()
      expect(
        (await one(connect(true), { type: 'AUTH', payload: { token: 'anything' } })).type,
      ).toBe('AUTH_OK')
    })
  })

  describe('paths', () => {
    it.each([
      ['../x'],
      ['a/../../etc/passwd'],
      ['/etc/passwd'],
      ['a//b'],
      ['a\\b'],
      ['a\u0000b'],
      ['dir/'],
      ['./app'],
      [''],
      ['x'.repeat(256)],
    ])('refuses file_path %j', async (filePath) => {
      const { connect, sink } = setup()
      const reply = await one(connect(), startFor(content(1), 1, { file_path: filePath }))
      expect(reply).toMatchObject({
        type: 'FILE_UPLOAD_ERROR',
        payload: { code: 'INVALID_PATH', session_id: null },
      })
      expect(sink.parts.size).toBe(0)
    })

    it.each([['..'], ['.'], ['../x'], ['a/b'], ['a\\b'], ['name with space'], ['']])(
      'refuses service_name %j',
      async (name) => {
        const { connect } = setup()
        const reply = await one(connect(), startFor(content(1), 1, { service_name: name }))
        expect(errorCode(reply)).toBe('INVALID_PATH')
      },
    )

    it('accepts nested relative paths', async () => {
      const { connect } = setup()
      const reply = await one(
        connect(),
        startFor(content(1), 1, { file_path: 'bin/x86_64/app-1.2' }),
      )
      expect(reply.type).toBe('FILE_UPLOAD_PROGRESS')
    })
  })

  describe('START checks', () => {
    it('refuses a file larger than maxFileBytes', async () => {
      const { connect } = setup({ maxFileBytes: 100 })
      const reply = await one(connect(), startFor(content(101), 50))
      expect(reply).toMatchObject({
        payload: { code: 'TOO_LARGE', error: expect.stringMatching(/at most 100 bytes; got 101/) },
      })
    })

    it('refuses total_chunks that do not follow from total_size and chunk_size', async () => {
      const { connect } = setup()
      const reply = await one(connect(), startFor(content(100), 30, { total_chunks: 3 }))
      expect(reply).toMatchObject({
        payload: { code: 'BAD_MESSAGE', error: expect.stringMatching(/total_chunks must be 4/) },
      })
      const empty = await one(connect(), startFor(new Uint8Array(0), 30, { total_chunks: 2 }))
      expect(errorCode(empty)).toBe('BAD_MESSAGE')
    })

    it('requires service_name when creating a service', async () => {
      const { connect } = setup()
      const reply = await one(connect(), startFor(content(1), 1, { service_name: undefined }))
      expect(reply).toMatchObject({
        payload: { code: 'BAD_MESSAGE', error: 'service_name is required when creating a service' },
      })
    })

    it('refuses malformed messages with a readable reason', async () => {
      const { connect } = setup()
      const conn = connect()
      expect(await one(conn, '{')).toMatchObject({
        payload: { code: 'BAD_MESSAGE', error: 'message is not JSON text' },
      })
      expect(await one(conn, { type: 'FILE_UPLOAD_PAUSE', payload: {} })).toMatchObject({
        payload: { code: 'BAD_MESSAGE' },
      })
      const extra = { ...startFor(content(1), 1), surprise: true }
      expect(await one(conn, extra)).toMatchObject({
        payload: { error: "unknown field 'surprise'" },
      })
      const big = startFor(content(1), 1, { chunk_size: 9 * 1024 * 1024 })
      expect(errorCode(await one(conn, big))).toBe('BAD_MESSAGE')
    })

    it('refuses files of one group that disagree about the group', async () => {
      const { connect } = setup()
      const conn = connect()
      await begin(conn, startFor(content(1), 1, { total_files: 2 }))
      const other = startFor(content(1), 1, { total_files: 3, file_index: 1, file_path: 'b' })
      expect(await one(conn, other)).toMatchObject({
        payload: { code: 'BAD_MESSAGE', error: expect.stringMatching(/total_files is 2/) },
      })
      const clash = startFor(content(1), 1, { total_files: 2, file_path: 'b' })
      expect(await one(conn, clash)).toMatchObject({
        payload: { error: 'file_index 0 is already app in this group' },
      })
    })

    it('answers a repeated START of the same file with the existing session', async () => {
      const { connect } = setup()
      const conn = connect()
      const data = content(30)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10, 0, 2)
      expect(await one(connect(), startFor(data, 10))).toMatchObject({
        type: 'FILE_UPLOAD_PROGRESS',
        payload: { session_id: id, chunks_received: 2, next_chunk_index: 2 },
      })
    })

    it('replaces an upload when the same path is started with a different size', async () => {
      const { connect, sink } = setup()
      const conn = connect()
      const old = await begin(conn, startFor(content(30), 10))
      await sendChunks(conn, old, content(30), 10, 0, 1)
      const fresh = await begin(conn, startFor(content(20), 10))
      expect(fresh).not.toBe(old)
      expect(sink.parts.has(old)).toBe(false)
      expect(errorCode(await one(conn, chunk(old, 1, content(10))))).toBe('SESSION_NOT_FOUND')
    })
  })

  describe('chunks', () => {
    it('refuses a chunk that skips ahead and names the next index', async () => {
      const { connect } = setup()
      const conn = connect()
      const data = content(30)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10, 0, 1)
      expect(await one(conn, chunk(id, 2, data.subarray(20)))).toMatchObject({
        type: 'FILE_UPLOAD_ERROR',
        payload: {
          session_id: id,
          code: 'CHUNK_OUT_OF_ORDER',
          error: expect.stringMatching(/expected chunk_index 1/),
        },
      })
    })

    it('acknowledges a resent chunk without writing it twice', async () => {
      const { connect, sink } = setup()
      const conn = connect()
      const data = content(30)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10, 0, 2)
      expect(await one(conn, chunk(id, 1, data.subarray(10, 20)))).toMatchObject({
        type: 'FILE_UPLOAD_PROGRESS',
        payload: { chunks_received: 2, bytes_uploaded: 20, next_chunk_index: 2 },
      })
      expect(await sink.size(id)).toBe(20)
    })

    it.each([['not base64!'], ['QUJD\n'], ['QUI'], ['QR=='], ['QU=J'], ['QUJD-_==']])(
      'refuses chunk data %j as INVALID_ENCODING',
      async (data) => {
        const { connect, sink } = setup()
        const conn = connect()
        const id = await begin(conn, startFor(content(3), 3))
        expect(errorCode(await one(conn, chunk(id, 0, data)))).toBe('INVALID_ENCODING')
        expect(await sink.size(id)).toBe(0)
      },
    )

    it('refuses a short last chunk, then accepts the right one', async () => {
      const { connect } = setup()
      const conn = connect()
      const data = content(25)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10, 0, 2)
      expect(await one(conn, chunk(id, 2, data.subarray(20, 24)))).toMatchObject({
        payload: { code: 'SIZE_MISMATCH', error: expect.stringMatching(/chunk 2 must be 5 bytes/) },
      })
      await sendChunks(conn, id, data, 10, 2, 3)
      expect(await endTypes(conn, id)).toEqual(DONE)
    })

    it('refuses chunks that would carry more than total_size', async () => {
      const { connect, sink } = setup()
      const conn = connect()
      const data = content(25)
      const id = await begin(conn, startFor(data, 10))
      expect(errorCode(await one(conn, chunk(id, 0, content(11))))).toBe('SIZE_MISMATCH')
      await sendChunks(conn, id, data, 10)
      expect(errorCode(await one(conn, chunk(id, 3, content(10))))).toBe('SIZE_MISMATCH')
      expect(await sink.size(id)).toBe(25)
    })

    it('keeps the session when a failed write left nothing behind', async () => {
      const { connect, sink } = setup()
      const conn = connect()
      const data = content(20)
      const id = await begin(conn, startFor(data, 10))
      sink.failNext = { partial: 0 }
      expect(await one(conn, chunk(id, 0, data.subarray(0, 10)))).toMatchObject({
        payload: { code: 'WRITE_FAILED', error: expect.stringMatching(/disk full.*send it again/) },
      })
      await sendChunks(conn, id, data, 10)
      expect(await endTypes(conn, id)).toEqual(DONE)
    })

    it('drops the session when a failed write left part of a chunk behind', async () => {
      const { connect, sink } = setup()
      const conn = connect()
      const data = content(20)
      const id = await begin(conn, startFor(data, 10))
      sink.failNext = { partial: 4 }
      expect(await one(conn, chunk(id, 0, data.subarray(0, 10)))).toMatchObject({
        payload: { code: 'WRITE_FAILED', error: expect.stringMatching(/FILE_UPLOAD_START again/) },
      })
      expect(sink.parts.has(id)).toBe(false)
      expect(errorCode(await one(conn, resume(id)))).toBe('SESSION_NOT_FOUND')
    })
  })

  describe('END', () => {
    it('refuses END before every chunk arrived and keeps the session', async () => {
      const { connect } = setup()
      const conn = connect()
      const data = content(30)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10, 0, 2)
      expect(await one(conn, end(id))).toMatchObject({
        payload: {
          code: 'SIZE_MISMATCH',
          error: expect.stringMatching(
            /received 2 of 3 chunks \(20 of 30 bytes\); send chunk 2 next/,
          ),
        },
      })
      await sendChunks(conn, id, data, 10, 2, 3)
      expect(await endTypes(conn, id)).toEqual(DONE)
    })

    it('refuses a file whose sha256 differs and discards it', async () => {
      const { connect, sink, complete } = setup()
      const conn = connect()
      const data = content(30)
      const id = await begin(conn, startFor(data, 10, { sha256: 'AB'.repeat(32) }))
      await sendChunks(conn, id, data, 10)
      expect(await one(conn, end(id))).toMatchObject({
        payload: { code: 'HASH_MISMATCH', error: expect.stringContaining(await sha256Hex(data)) },
      })
      expect(sink.parts.size).toBe(0)
      expect(complete).not.toHaveBeenCalled()
      expect(errorCode(await one(conn, end(id)))).toBe('SESSION_NOT_FOUND')
    })

    it('accepts an upper-case sha256', async () => {
      const { connect } = setup()
      const conn = connect()
      const data = content(30)
      const id = await begin(
        conn,
        startFor(data, 10, { sha256: (await sha256Hex(data)).toUpperCase() }),
      )
      await sendChunks(conn, id, data, 10)
      expect((await send(conn, end(id))).messages.map((m) => m.type)).toEqual([
        'FILE_UPLOAD_FILE_COMPLETE',
        'FILE_UPLOAD_COMPLETE',
      ])
    })

    it('reports SERVICE_FAILED with the service layer message and discards the parts', async () => {
      const { connect, sink } = setup({
        complete: async () => {
          throw new Error('a service named my-app already exists')
        },
      })
      const conn = connect()
      const data = content(10)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10)
      const { messages } = await send(conn, end(id))
      expect(messages[1]).toEqual({
        type: 'FILE_UPLOAD_ERROR',
        payload: {
          session_id: id,
          code: 'SERVICE_FAILED',
          error: 'a service named my-app already exists',
        },
      })
      expect(sink.parts.size).toBe(0)
      // The group is forgotten, so the client may try it again.
      expect((await one(conn, startFor(data, 10))).type).toBe('FILE_UPLOAD_PROGRESS')
    })
  })

  describe('resuming', () => {
    it('continues on a new connection after a drop', async () => {
      const { connect, stored } = setup()
      const data = content(50)
      const first = connect()
      const id = await begin(first, startFor(data, 10, { sha256: await sha256Hex(data) }))
      await sendChunks(first, id, data, 10, 0, 3)
      // The socket drops; a new one authenticates and asks where to continue.
      const second = connect(false)
      expect(errorCode(await one(second, resume(id)))).toBe('UNAUTHORIZED')
      await one(second, { type: 'AUTH', payload: { token: TOKEN } })
      const where = await one(second, resume(id))
      expect(where).toMatchObject({
        type: 'FILE_UPLOAD_PROGRESS',
        payload: {
          session_id: id,
          chunks_received: 3,
          bytes_uploaded: 30,
          percentage: 60,
          next_chunk_index: 3,
        },
      })
      // The client was unsure whether chunk 2 arrived and sends it again.
      await sendChunks(second, id, data, 10, 2, 5)
      const { messages } = await send(second, end(id))
      expect(messages.map((m) => m.type)).toEqual([
        'FILE_UPLOAD_FILE_COMPLETE',
        'FILE_UPLOAD_COMPLETE',
      ])
      expect(stored[0]!.contents[0]).toEqual(data)
    })

    it('tells a client that lost the final reply that the group completed', async () => {
      const { connect, complete } = setup()
      const data = content(10)
      const conn = connect()
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10)
      await send(conn, end(id))
      const again = connect()
      expect(await one(again, resume(id))).toMatchObject({
        type: 'FILE_UPLOAD_COMPLETE',
        payload: { service_id: 42 },
      })
      expect(await one(again, end(id))).toMatchObject({ type: 'FILE_UPLOAD_COMPLETE' })
      expect(await one(again, startFor(data, 10))).toMatchObject({ type: 'FILE_UPLOAD_COMPLETE' })
      expect(complete).toHaveBeenCalledTimes(1)
    })

    it('answers an unknown session with SESSION_NOT_FOUND', async () => {
      const { connect } = setup()
      expect(await one(connect(), resume('nope'))).toMatchObject({
        type: 'FILE_UPLOAD_ERROR',
        payload: { session_id: 'nope', code: 'SESSION_NOT_FOUND' },
      })
    })

    it('keeps replies in message order when messages arrive without waiting', async () => {
      const { connect } = setup()
      const conn = connect()
      const data = content(40)
      const id = await begin(conn, startFor(data, 10))
      const results = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          conn.receive(JSON.stringify(chunk(id, i, data.subarray(i * 10, i * 10 + 10)))),
        ),
      )
      const received = results.map((r) => JSON.parse(r.replies[0]!).payload.chunks_received)
      expect(received).toEqual([1, 2, 3, 4])
    })
  })

  describe('sweep', () => {
    it('drops groups idle longer than the TTL and discards their parts', async () => {
      const { connect, sessions, sink, advance } = setup()
      const conn = connect()
      const data = content(30)
      const idle = await begin(conn, startFor(data, 10))
      await sendChunks(conn, idle, data, 10, 0, 1)
      advance(30_000)
      const busy = await begin(conn, startFor(data, 10, { upload_group_id: 'group-2' }))
      await sendChunks(conn, busy, data, 10, 0, 1)
      advance(31_000)

      expect(await sessions.sweep()).toBe(1)
      expect(sink.parts.has(idle)).toBe(false)
      expect(sink.parts.has(busy)).toBe(true)
      expect(errorCode(await one(conn, resume(idle)))).toBe('SESSION_NOT_FOUND')
      expect((await one(conn, resume(busy))).type).toBe('FILE_UPLOAD_PROGRESS')
    })

    it('forgets completed groups after the TTL', async () => {
      const { connect, sessions, advance } = setup()
      const conn = connect()
      const data = content(10)
      const id = await begin(conn, startFor(data, 10))
      await sendChunks(conn, id, data, 10)
      await send(conn, end(id))
      advance(61_000)
      expect(await sessions.sweep()).toBe(0)
      expect(errorCode(await one(conn, resume(id)))).toBe('SESSION_NOT_FOUND')
    })
  })

  it('keeps the session when the sink cannot tell the stored size at END', async () => {
    const { connect, sink } = setup()
    sink.size = async () => {
      throw new Error('sink exploded')
    }
    const conn = connect()
    const data = content(10)
    const id = await begin(conn, startFor(data, 10))
    await sendChunks(conn, id, data, 10)
    expect(await one(conn, end(id))).toMatchObject({
      payload: { code: 'WRITE_FAILED', error: expect.stringMatching(/send FILE_UPLOAD_END again/) },
    })
    delete (sink as Partial<MemorySink>).size
    expect(await endTypes(conn, id)).toEqual(DONE)
  })

  it('encodes messages as JSON text', () => {
    expect(encodeUploadMessage({ type: 'AUTH_OK', payload: {} })).toBe(
      '{"type":"AUTH_OK","payload":{}}',
    )
  })
})
