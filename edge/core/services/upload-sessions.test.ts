import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../shared/protocol/hash'
import {
  begin,
  content,
  end,
  errorCode,
  one,
  resume,
  send,
  sendChunks,
  setup,
  startFor,
  TOKEN,
} from './upload-test-helpers'

describe('UploadSessions', () => {
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
})
