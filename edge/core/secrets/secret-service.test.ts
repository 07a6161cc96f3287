import { describe, expect, it } from 'vitest'
import { openSqlite } from '../../node/sqlite'
import { MIGRATIONS } from '../store/migrations'
import { migrate } from '../store/sql'
import { Redactor } from './redact'
import { redactStream } from './redact-stream'
import { SecretBox } from './secret-box'
import { SecretService } from './secret-service'
import { SecretStore } from './secret-store'

async function service(key = 'a'.repeat(64), max = 3) {
  const sql = openSqlite(':memory:')
  migrate(sql, MIGRATIONS)
  const box = await SecretBox.fromText(key)
  if (!box.ok) throw new Error(box.reason)
  return { sql, secrets: new SecretService(new SecretStore(sql), box.box, max) }
}

describe('SecretService', () => {
  it('opens what it sealed, and names what is missing', async () => {
    const { secrets } = await service()
    await secrets.put('alice', 'API_KEY', 'v1')
    expect(await secrets.open('alice', ['API_KEY'])).toEqual({
      ok: true,
      values: { API_KEY: 'v1' },
    })
    expect(secrets.names('alice')).toEqual(['API_KEY'])
    expect(secrets.missing('alice', ['API_KEY', 'B'])).toEqual(['B'])
    expect(await secrets.open('alice', ['API_KEY', 'B'])).toMatchObject({
      ok: false,
      error: { code: 'SECRET_NOT_FOUND', message: expect.stringContaining("'B'") },
    })
  })

  it('does not open a sealed value copied to another name or namespace', async () => {
    const { sql, secrets } = await service()
    await secrets.put('alice', 'A', 'alice-value')
    await secrets.put('bob', 'A', 'bob-value')
    sql.run(
      "UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE namespace = 'alice') WHERE namespace = 'bob'",
    )
    expect(await secrets.open('bob', ['A'])).toMatchObject({
      ok: false,
      error: { code: 'SECRETS_UNAVAILABLE' },
    })
  })

  it('keeps a cap per namespace, replacing still allowed', async () => {
    const { secrets } = await service(undefined, 2)
    await secrets.put('alice', 'A', 'x')
    await secrets.put('alice', 'B', 'x')
    await expect(secrets.put('alice', 'C', 'x')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' })
    expect((await secrets.put('alice', 'B', 'y')).created).toBe(false)
    expect((await secrets.put('bob', 'C', 'x')).created).toBe(true)
  })
})

describe('Redactor', () => {
  it('replaces values, longest first, raw and JSON-escaped, in text and JSON keys and strings', () => {
    const r = new Redactor({ SHORT: 'abc', KEY: 'pass"word\n', LONG: 'pass"word\nplus' })
    expect(r.text('x pass"word\nplus y pass"word\n')).toBe('x [secret LONG] y [secret KEY]')
    expect(r.text(JSON.stringify({ k: 'pass"word\n' }))).toBe('{"k":"[secret KEY]"}')
    expect(r.json({ ['pass"word\n']: ['pass"word\n', 1, null] })).toEqual({
      '[secret KEY]': ['[secret KEY]', 1, null],
    })
    // Values shorter than four characters are left alone.
    expect(r.text('abc')).toBe('abc')
  })
})

describe('redactStream', () => {
  const read = async (chunks: string[], values: Record<string, string>) => {
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
        controller.close()
      },
    })
    return new Response(redactStream(body, values)).text()
  }

  it('finds values split across chunks, and leaves the rest byte for byte', async () => {
    expect(await read(['a sec', 'ret-val', 'ue b secret-value', '!'], { K: 'secret-value' })).toBe(
      'a [secret K] b [secret K]!',
    )
    expect(await read(['sec', 'ret'], { K: 'secret-value' })).toBe('secret')
    expect(await read(['é secret-valueé'], { K: 'secret-value' })).toBe('é [secret K]é')
  })
})
