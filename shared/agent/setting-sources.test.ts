import { describe, expect, it } from 'vitest'
import { envVariables, mergeLayers, readEnv } from './setting-sources'
import { commaList, secretText, wholeNumber } from './text-values'

interface Input {
  port?: number
  token?: string
  inner?: { list?: string[]; n?: number }
}
const variable = envVariables<Input>()
const TABLE = {
  PORT: variable(wholeNumber(0, 9), 'port'),
  TOKEN: variable(secretText, 'token'),
  LIST: variable(commaList, 'inner', 'list'),
}

describe('readEnv', () => {
  it('fills the fields its variables name, nested ones too', () => {
    expect(readEnv({ PORT: '3', LIST: 'a,b', OTHER: 'x' }, TABLE)).toEqual({
      ok: true,
      value: { port: 3, inner: { list: ['a', 'b'] } },
    })
  })

  it('reads a Worker-style bindings object, ignoring what is not text', () => {
    expect(readEnv({ PORT: 4, TOKEN: 't' }, TABLE)).toEqual({ ok: true, value: { token: 't' } })
  })

  it('skips what the flags already set, even when it would not read', () => {
    expect(readEnv({ PORT: 'x', TOKEN: 't' }, TABLE, { port: 1 })).toEqual({
      ok: true,
      value: { token: 't' },
    })
  })

  it('names the first variable that does not read', () => {
    const read = readEnv({ PORT: '10' }, TABLE)
    expect(read).toEqual({
      ok: false,
      error: {
        code: 'INVALID_SETTING',
        message:
          "environment variable PORT value '10' is invalid. must be a whole number from 0 to 9",
      },
    })
  })
})

describe('mergeLayers', () => {
  it('lets later layers win field by field, and undefined win nothing', () => {
    const bytes = new Uint8Array(2)
    expect(
      mergeLayers<Input & { bytes?: Uint8Array }>(
        { port: 1, inner: { list: ['a'], n: 1 }, bytes },
        { port: undefined, inner: { list: ['b'] } },
      ),
    ).toEqual({ port: 1, inner: { list: ['b'], n: 1 }, bytes })
  })
})
