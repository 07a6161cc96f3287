import { describe, expect, it } from 'vitest'
import { encodeUploadMessage } from '../../../shared/protocol/upload-protocol'
import {
  begin,
  chunk,
  content,
  DONE,
  endTypes,
  errorCode,
  one,
  send,
  sendChunks,
  setup,
  startFor,
  TOKEN,
} from './upload-test-helpers'

describe('upload connections', () => {
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

  it('encodes messages as JSON text', () => {
    expect(encodeUploadMessage({ type: 'AUTH_OK', payload: {} })).toBe(
      '{"type":"AUTH_OK","payload":{}}',
    )
  })
})
