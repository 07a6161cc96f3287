import { describe, expect, it } from 'vitest'
import { asFunctionError } from './function-error'

describe('asFunctionError', () => {
  it("rewords the sandbox's own messages", () => {
    expect(
      asFunctionError({ code: 'TIMEOUT', message: 'job exceeded its timeout of 1 s' }),
    ).toEqual({
      code: 'TIMEOUT',
      message: 'function exceeded its timeout of 1 s',
    })
    expect(
      asFunctionError({
        code: 'OUT_OF_MEMORY',
        message: 'out of memory (the job is limited to 128 MiB)',
      }).message,
    ).toBe('out of memory (the function is limited to 128 MiB)')
    expect(
      asFunctionError({ code: 'RUNTIME_UNAVAILABLE', message: 'this worker cannot run lua jobs' })
        .message,
    ).toBe('this worker cannot run lua functions')
    expect(
      asFunctionError({
        code: 'GUEST_ERROR',
        message: 'the job ended the Python interpreter (use return)',
      }).message,
    ).toBe('the function ended the Python interpreter (use return)')
  })

  it("keeps what the guest threw in the guest's words", () => {
    const thrown = {
      code: 'GUEST_ERROR' as const,
      message: 'Error: the job queue is empty',
      line: 3,
    }
    expect(asFunctionError(thrown)).toBe(thrown)
    const syntax = { code: 'SYNTAX_ERROR' as const, message: "job:1: unexpected symbol near 'job'" }
    expect(asFunctionError(syntax)).toBe(syntax)
  })
})
