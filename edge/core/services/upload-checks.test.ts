import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../shared/protocol/hash'
import {
  begin,
  chunk,
  content,
  DONE,
  end,
  endTypes,
  errorCode,
  MemorySink,
  one,
  resume,
  send,
  sendChunks,
  setup,
  startFor,
} from './upload-test-helpers'

describe('what an upload is checked for', () => {
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
})
