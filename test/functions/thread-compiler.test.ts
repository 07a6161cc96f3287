/** The Node host's compile thread (built dist/node/compile-thread.js), as deploys use it. */
import { afterAll, describe, expect, it } from 'vitest'
import { ThreadCompiler } from '../../edge/node/thread-compiler'

const compiler = new ThreadCompiler()

afterAll(() => compiler.close())

describe('ThreadCompiler', () => {
  it('answers each check with its own problem, concurrently', async () => {
    const answers = await Promise.all([
      compiler.compile('js', 'function handle() {}'),
      compiler.compile('js', 'function handle( {'),
      compiler.compile('lua', 'function handle() end'),
      compiler.compile('lua', 'x = = 1'),
    ])
    expect(answers[0]).toBeUndefined()
    expect(answers[1]).toMatchObject({ message: expect.stringMatching(/^SyntaxError/), line: 1 })
    expect(answers[2]).toBeUndefined()
    expect(answers[3]).toMatchObject({ message: "job:1: unexpected symbol near '='", line: 1 })
  })

  it('starts a new thread after the last one was stopped', async () => {
    compiler.close()
    expect(await compiler.compile('lua', 'if then')).toMatchObject({ line: 1 })
  })

  it('compiles python with CPython in a thread of its own, running none of it', async () => {
    const answers = await Promise.all([
      compiler.compile('python', 'def handle(req):\n    return {"body": "hi"}\n'),
      compiler.compile('python', 'def handle(req:\n    pass\n'),
      // Would loop forever if it ran: a compile only parses.
      compiler.compile('python', 'while True:\n    pass\n'),
      compiler.compile('python', 'x = 1\n  y = 2\n'),
    ])
    expect(answers[0]).toBeUndefined()
    expect(answers[1]).toMatchObject({ message: expect.stringMatching(/^SyntaxError: /), line: 1 })
    expect(answers[2]).toBeUndefined()
    expect(answers[3]).toMatchObject({
      message: expect.stringMatching(/^IndentationError: /),
      line: 2,
    })
  })

  it('leaves wasm alone', async () => {
    expect(await compiler.compile('wasm', '')).toBeUndefined()
  })
})
