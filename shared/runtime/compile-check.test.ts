import { describe, expect, it } from 'vitest'
import { CompileCheck } from './compile-check'

const check = new CompileCheck()

describe('CompileCheck', () => {
  it('passes code that compiles, without running it', async () => {
    expect(await check.check('js', 'for (;;) {}\nfunction handle() {}')).toBeUndefined()
    expect(await check.check('lua', 'while true do end\nfunction handle() end')).toBeUndefined()
  })

  it('parses js as the runtime evaluates it: a global script, where top-level await is an error', async () => {
    expect(
      await check.check('js', 'const v = await Promise.resolve(1)\nfunction handle() {}'),
    ).toMatchObject({ message: "SyntaxError: expecting ';'", line: 1 })
  })

  it("reports a syntax error with the parser's message and line", async () => {
    expect(await check.check('js', 'let a = 1\nlet b = (\n')).toMatchObject({
      message: expect.stringMatching(/^SyntaxError: /),
      line: 3,
    })
    expect(await check.check('lua', 'local a = 1\nif a then\n')).toMatchObject({
      message: "job:3: 'end' expected (to close 'if' at line 2) near <eof>",
      line: 3,
    })
  })

  it('survives hostile input: deep nesting is a syntax error, not a crash', async () => {
    const deep = (open: string, close: string) =>
      `x = ${open.repeat(100_000)}1${close.repeat(100_000)}`
    expect(await check.check('js', deep('[', ']'))).toMatchObject({ message: expect.any(String) })
    expect(await check.check('lua', deep('{', '}'))).toMatchObject({ message: expect.any(String) })
    // And it keeps working afterwards.
    expect(await check.check('js', 'function handle() {}')).toBeUndefined()
  })

  it('does not check Python or wasm', async () => {
    expect(await check.check('python', 'def (')).toBeUndefined()
    expect(await check.check('wasm', '')).toBeUndefined()
  })
})
