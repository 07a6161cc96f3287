import { describe, expect, it } from 'vitest'
import {
  decodeBase64Strict,
  encodeUploadMessage,
  parseUploadMessage,
  parseUploadServerMessage,
} from './upload-protocol'

const start = {
  upload_group_id: 'g-1',
  service_name: 'app',
  filename: 'app',
  file_path: 'bin/app',
  file_index: 0,
  total_files: 1,
  total_size: 10,
  total_chunks: 1,
  chunk_size: 10,
}

describe('upload protocol', () => {
  it('parses a START with service settings', () => {
    const parsed = parseUploadMessage(
      JSON.stringify({
        type: 'FILE_UPLOAD_START',
        payload: { ...start, service: { arguments: ['-v'], environment_variables: { A: '1' } } },
      }),
    )
    expect(parsed).toMatchObject({
      ok: true,
      message: { type: 'FILE_UPLOAD_START', payload: { service: { arguments: ['-v'] } } },
    })
  })

  it('names what is wrong with a message', () => {
    expect(parseUploadMessage('nope')).toEqual({ ok: false, error: 'message is not JSON text' })
    expect(parseUploadMessage('{"type":"FILE_UPLOAD_END","payload":{}}')).toEqual({
      ok: false,
      error: 'payload.session_id is required',
    })
    expect(
      parseUploadMessage('{"type":"FILE_UPLOAD_END","payload":{"session_id":"s","x":1}}'),
    ).toEqual({ ok: false, error: "unknown field 'x' in payload" })
    const badGroup = { type: 'FILE_UPLOAD_START', payload: { ...start, upload_group_id: 'a b' } }
    expect(parseUploadMessage(JSON.stringify(badGroup))).toEqual({
      ok: false,
      error: 'payload.upload_group_id must be 1-128 characters of A-Z a-z 0-9 . _ -',
    })
    expect(parseUploadMessage('{"type":"file.upload.start","payload":{}}').ok).toBe(false)
  })

  it('round-trips server messages', () => {
    const message = {
      type: 'FILE_UPLOAD_ERROR' as const,
      payload: { session_id: null, error: 'no', code: 'UNAUTHORIZED' as const },
    }
    expect(parseUploadServerMessage(encodeUploadMessage(message))).toEqual({ ok: true, message })
  })
})

describe('decodeBase64Strict', () => {
  it('decodes what btoa encodes, for every tail length', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length) & 0xff)
      const text = btoa(String.fromCharCode(...bytes))
      expect(decodeBase64Strict(text)).toEqual(bytes)
    }
  })

  it.each([
    ['QUJD QUJD', 'whitespace'],
    ['QUJDQQ', 'missing padding'],
    ['QUJD\n', 'a newline'],
    ['QQ=A', 'padding in the middle'],
    ['Q===', 'too much padding'],
    ['QR==', 'non-zero unused bits'],
    ['QUI=QUJD', 'padding before the end'],
    ['-_-_', 'URL-safe letters'],
    ['QUJé', 'non-ASCII'],
  ])('refuses %j (%s)', (text) => {
    expect(decodeBase64Strict(text)).toBeUndefined()
  })
})
