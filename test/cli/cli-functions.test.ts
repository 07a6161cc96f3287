/**
 * `zerverless deploy`, `invoke`, `logs`, `functions` and `init` against a real orchestrator: the
 * built CLI as a child process, its `--json` parsed, its exit codes and its errors.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliTestServer } from '../helpers/cli-process'
import { eventually } from '../helpers/zerverless-process'

interface Deployed {
  url: string
  runtime: string
  version: number
}
interface Answer {
  status: number
  body: unknown
}

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')
const t = cliTestServer('fn')
const { dir, file } = t

describe('zerverless deploy and invoke', () => {
  it('deploys a file, calls it with a body and a method, and keeps versions', async () => {
    const js = file(
      'echo.js',
      'function handle(req) {\n  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ method: req.method, body: req.body }) }\n}\n',
    )
    const first = await t.cli.json(['deploy', js, 'alice/echo'])
    expect(first.code).toBe(0)
    expect(first.json()).toMatchObject({ url: '/alice/echo', runtime: 'js', version: 1 })

    const get = await t.cli.run(['invoke', 'alice/echo'])
    expect(get.code).toBe(0)
    expect(JSON.parse(get.stdout)).toEqual({ method: 'GET', body: '' })

    const post = await t.cli.json(['invoke', 'alice/echo', '--data', '{"x": 1}'])
    expect(post.json()).toMatchObject({ status: 200, body: { method: 'POST', body: '{"x": 1}' } })
    const put = await t.cli.json(['invoke', 'alice/echo', '-X', 'put'])
    expect((put.json() as Answer).body).toMatchObject({ method: 'PUT' })

    expect(((await t.cli.json(['deploy', js, 'alice/echo'])).json() as Deployed).version).toBe(2)
    const versions = await t.cli.json(['functions', 'versions', 'alice/echo'])
    expect(versions.json()).toMatchObject({
      current: 2,
      versions: [{ version: 2 }, { version: 1 }],
    })
    const back = await t.cli.json(['functions', 'rollback', 'alice/echo'])
    expect((back.json() as Deployed).version).toBe(1)
    const listed = await t.cli.json(['functions', 'list', '--user', 'alice'])
    expect((listed.json() as { deployments: Deployed[] }).deployments).toContainEqual(
      expect.objectContaining({ url: '/alice/echo', version: 1 }),
    )
  })

  it('refuses js that does not compile or has no handle, before uploading', async () => {
    const broken = await t.cli.run([
      'deploy',
      file('broken.js', 'function handle(req) {\n  return {\n'),
      'alice/broken',
    ])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toMatch(/broken\.js:3 does not compile: .* \(COMPILE_ERROR\)/)
    const none = await t.cli.run(['deploy', file('none.js', 'const x = 1\n'), 'alice/none'])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('(NO_HANDLER)')
    const listed = await t.cli.json(['functions', 'list', '--user', 'alice'])
    const urls = (listed.json() as { deployments: Deployed[] }).deployments.map((d) => d.url)
    expect(urls).not.toContain('/alice/broken')
    expect(urls).not.toContain('/alice/none')
  })

  it("passes on the server's check of other runtimes", async () => {
    const res = await t.cli.run(['deploy', file('bad.lua', 'function handle(req\n'), 'alice/bad'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/\(\w+, HTTP 400\)/)
  })

  it('deploys a directory, paths from file names, index for the directory', async () => {
    file('site/index.lua', 'function handle(req) return {body="home"} end')
    file('site/api/greet.py', 'def handle(req):\n    return {"status": 200, "body": "hi"}\n')
    const res = await t.cli.json(['deploy', '--dir', path.join(dir, 'site'), 'bob'])
    expect(res.code).toBe(0)
    const urls = (res.json() as { deployments: Deployed[] }).deployments.map((d) => d.url)
    expect(urls.sort()).toEqual(['/bob', '/bob/api/greet'])
    expect((await t.cli.run(['invoke', 'bob/api/greet'])).stdout).toBe('hi\n')
    expect((await t.cli.run(['invoke', 'bob'])).stdout).toBe('home\n')
  })

  it('exits 1 with the error on stderr when the function fails or is not there', async () => {
    await t.cli.run([
      'deploy',
      file('fails.js', 'function handle(req) { throw new Error("nope") }'),
      'alice/fails',
    ])
    const failed = await t.cli.run(['invoke', 'alice/fails'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/nope.*\(FUNCTION_ERROR, HTTP 502\)/)
    const missing = await t.cli.run(['invoke', 'alice/missing'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('HTTP 404')
  })
})

describe('zerverless logs', () => {
  it('prints each call with its status and duration, and --follow prints new ones', async () => {
    await t.cli.run([
      'deploy',
      file(
        'logged.js',
        'function handle(req) { return { status: req.query.s ? 201 : 200, body: "ok" } }',
      ),
      'carol/logged',
    ])
    await t.cli.run(['invoke', 'carol/logged'])
    const logs = await t.cli.json(['logs', 'carol/logged'])
    const calls = (logs.json() as { invocations: { status: number; duration_ms: number }[] })
      .invocations
    expect(calls).toHaveLength(1)
    expect(calls[0]?.status).toBe(200)
    expect(calls[0]?.duration_ms).toBeGreaterThanOrEqual(0)
    const human = await t.cli.run(['logs', 'carol/logged'])
    expect(human.stdout).toMatch(/^\S+Z {2}200 {2}\d+ ms {2}v1\n$/)

    const follow = spawn(
      process.execPath,
      [BIN, '--url', t.server.url, 'logs', 'carol/logged', '--follow', '--interval', '0.2'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    follow.stdout.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await eventually(() => out.includes(' 200 ') || undefined, 15_000, 'the first call')
      await t.cli.run(['invoke', 'carol/logged?s=1'])
      await t.cli.run(['invoke', 'carol/logged', '-X', 'POST'])
      await eventually(
        () => out.trim().split('\n').length >= 3 || undefined,
        15_000,
        'the new calls',
      )
      const lines = out.trim().split('\n')
      expect(lines).toHaveLength(3)
      expect(lines.filter((l) => /\s201\s/.test(l))).toHaveLength(1)
      expect(lines.filter((l) => /\s200\s/.test(l))).toHaveLength(2)
    } finally {
      if (follow.pid) process.kill(follow.pid, 'SIGTERM')
    }
  })
})
