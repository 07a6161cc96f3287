/**
 * `zerverless init` scaffolds that work as they are (a function and a job of each runtime,
 * deployed and run by the CLI), and `zerverless serve` starting the server as `zerverless` does.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliTestServer, runCli } from '../helpers/cli-process'
import { removeDir, tempDir } from '../helpers/zerverless-process'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')
const RUNTIMES = ['js', 'lua', 'python', 'wasm'] as const
const EXT = { js: 'js', lua: 'lua', python: 'py', wasm: 'wasm' }
const t = cliTestServer('init')
const { dir } = t

describe('zerverless init', () => {
  it.each(RUNTIMES)('scaffolds a %s function that deploys and answers', async (runtime) => {
    const target = path.join(dir, `fn-${runtime}`)
    const made = await t.cli.json(['init', 'function', target, '--runtime', runtime])
    expect(made.code).toBe(0)
    const handler = path.join(target, `handler.${EXT[runtime]}`)
    expect(existsSync(handler)).toBe(true)
    expect(readFileSync(path.join(target, 'README.md'), 'utf8')).toContain(
      `zerverless deploy handler.${EXT[runtime]} you/fn-${runtime}`,
    )
    expect((await t.cli.run(['deploy', handler, `you/fn-${runtime}`])).code).toBe(0)
    const answer = await t.cli.run(['invoke', `you/fn-${runtime}`])
    expect(answer.code).toBe(0)
    expect(answer.stdout).toMatch(
      runtime === 'wasm' ? /^Hello from WebAssembly!/ : /^Hello, world!/,
    )
  })

  it.each(RUNTIMES)('scaffolds a %s job that runs once and as a batch', async (runtime) => {
    const target = path.join(dir, `job-${runtime}`)
    expect((await t.cli.run(['init', 'job', target, '--runtime', runtime])).code).toBe(0)
    const job = path.join(target, `job.${EXT[runtime]}`)
    const one = await t.cli.json(['run', job, '--input', '{"n": 3}'])
    expect(one.code).toBe(0)
    // The wasm example echoes its input; the others square n.
    expect((one.json() as { result: unknown }).result).toEqual(runtime === 'wasm' ? { n: 3 } : 9)
    const batch = await t.cli.run(['batch', job, '--inputs', path.join(target, 'inputs.jsonl')])
    expect(batch.code).toBe(0)
    expect(batch.stdout.trim().split('\n')).toHaveLength(3)
  })

  it('never overwrites a file, and names a bad kind or runtime', async () => {
    const target = path.join(dir, 'fn-js')
    const again = await runCli(['init', 'function', target])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('(FILE_EXISTS)')
    expect((await runCli(['init', 'service', path.join(dir, 'x')])).stderr).toContain(
      'kind must be function or job',
    )
    expect((await runCli(['init', 'job', path.join(dir, 'y'), '--runtime', 'cobol'])).code).toBe(2)
  })
})

describe('zerverless serve', () => {
  it('starts the server with the same flags as zerverless alone', async () => {
    const data = tempDir('zv-serve-')
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', data, '--workers', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise((resolve) => child.on('exit', resolve))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/\S+)/.exec(out)
          if (match?.[1]) resolve(match[1])
        })
        void exited.then(() => reject(new Error(`serve exited:\n${out}`)))
      })
      expect(out).toContain('0 internal workers')
      expect(out).toContain(data)
      expect((await fetch(`${url}/health`)).status).toBe(200)
    } finally {
      if (child.pid) process.kill(child.pid, 'SIGTERM')
      await exited
      removeDir(data)
    }
  })

  it('lists the developer commands in its help', async () => {
    const help = await runCli(['--help'])
    expect(help.stdout).toContain('--data-dir')
    expect(help.stdout).toContain('Developer commands')
  })
})
