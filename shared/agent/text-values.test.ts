import { describe, expect, it } from 'vitest'
import {
  commaList,
  limitCount,
  limitRate,
  oneOf,
  positiveSeconds,
  readText,
  secretText,
  wholeNumber,
} from './text-values'

describe('text values', () => {
  it('reads whole numbers in a range, and says which range otherwise', () => {
    expect(readText(wholeNumber(0, 10), '7')).toEqual({ ok: true, value: 7 })
    for (const text of ['11', '-1', '1.5', '', ' 3', '1e1'])
      expect(readText(wholeNumber(0, 10), text)).toEqual({
        ok: false,
        message: 'must be a whole number from 0 to 10',
      })
  })

  it('reads limits, where 0 turns one off', () => {
    expect(readText(limitCount, '0')).toEqual({ ok: true, value: 0 })
    expect(readText(limitRate, '2.5')).toEqual({ ok: true, value: 2.5 })
    expect(readText(limitCount, '2.5').ok).toBe(false)
    expect(readText(limitRate, '-1')).toEqual({
      ok: false,
      message: 'must be a number, 0 or more (0 turns the limit off)',
    })
  })

  it('reads seconds above zero', () => {
    expect(readText(positiveSeconds, '0.25')).toEqual({ ok: true, value: 0.25 })
    expect(readText(positiveSeconds, '0')).toEqual({
      ok: false,
      message: 'must be a positive number of seconds',
    })
  })

  it('names the choices', () => {
    expect(readText(oneOf(['on', 'off']), 'maybe')).toEqual({
      ok: false,
      message: 'must be on or off',
    })
    expect(readText(oneOf(['a', 'b', 'c']), 'd')).toEqual({
      ok: false,
      message: 'must be a, b or c',
    })
  })

  it('splits lists and takes an empty secret as none', () => {
    expect(readText(commaList, ' a, b ,,c ')).toEqual({ ok: true, value: ['a', 'b', 'c'] })
    expect(readText(secretText, '')).toEqual({ ok: true, value: undefined })
  })
})
