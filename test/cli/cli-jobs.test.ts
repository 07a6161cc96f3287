/**
 * `zerverless run`, `jobs` and `batch` against a real orchestrator: the built CLI as a child
 * process, `--json` parsed, exit codes as documented (0 completed, 1 failed, 2 refused, 124 the
 * wait ran out).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliTestServer, runCli } from '../helpers/cli-process'

interface Job {
  id: string
  status: string
  result: unknown
  output: string | null
  error: { code?: string; message: string } | null
  index?: number
}

const t = cliTestServer('jobs')
const { dir, file } = t

describe('zerverless run', () => {
  it('runs a file by its extension, prints output and result, and exits 0', async () => {
    const lua = file('double.lua', 'print("doubling " .. INPUT.n)\nreturn INPUT.n * 2')
    const human = await t.cli.run(['run', lua, '--input', '{"n": 21}'])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('doubling 21')
    expect(human.stdout).toContain('result: 42')

    const py = file('square.py', 'INPUT["n"] ** 2')
    const input = file('input.json', '{"n": 7}')
    const machine = await t.cli.json(['run', py, '--input-file', input, '--namespace', 'alice'])
    expect(machine.code).toBe(0)
    const job = machine.json() as Job & { namespace: string; job_type: string }
    expect(job).toMatchObject({
      status: 'completed',
      result: 49,
      namespace: 'alice',
      job_type: 'python',
    })
  })

  it('exits 1 with the guest error when the job fails', async () => {
    const js = file('boom.js', 'throw new Error("boom")')
    const res = await t.cli.json(['run', js])
    expect(res.code).toBe(1)
    const job = res.json() as Job
    expect(job.status).toBe('failed')
    expect(job.error?.message).toContain('boom')
  })

  it('runs a wasm module, its input on stdin and its stdout the result', async () => {
    const res = await t.cli.json(['run', 'examples/echo.wasm', '--input', '{"hi": 1}'])
    expect(res.code).toBe(0)
    expect((res.json() as Job).result).toEqual({ hi: 1 })
  })

  it("prints the server's error and code on stderr and exits 2 for bad input", async () => {
    const js = file('ok.js', '1')
    const res = await t.cli.run(['run', js, '--namespace', 'not a namespace!'])
    expect(res.code).toBe(2)
    expect(res.stdout).toBe('')
    expect(res.stderr).toMatch(/^error: .*namespace.* \(INVALID_REQUEST, HTTP 400\)\n$/)

    const local = await t.cli.run(['run', file('notes.txt', 'x')])
    expect(local.code).toBe(2)
    expect(local.stderr).toContain('(UNKNOWN_RUNTIME)')
    expect(local.stderr).not.toContain('    at ')

    const input = await t.cli.run(['run', js, '--input', '[1, 2]'])
    expect(input.code).toBe(2)
    expect(input.stderr).toContain('(INVALID_JSON)')
  })

  it('says the server cannot be reached, without a stack', async () => {
    const res = await runCli(['run', file('one.js', '1'), '--url', 'http://127.0.0.1:9'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('(UNREACHABLE)')
    expect(res.stderr).not.toContain('    at ')
  })
})

describe('zerverless jobs', () => {
  it('lists, gets, waits for and cancels jobs', async () => {
    const spin = file('spin.js', 'while (true) {}')
    // The wait runs out while the job still runs: 124.
    const waited = await t.cli.json(['run', spin, '--timeout', '120', '--wait', '1'])
    expect(waited.code).toBe(124)
    const { id } = waited.json() as Job

    const listed = await t.cli.json(['jobs', 'list', '--limit', '100'])
    expect(listed.code).toBe(0)
    const page = listed.json() as { jobs: Job[]; total: number }
    expect(page.jobs.map((j) => j.id)).toContain(id)
    expect(page.total).toBeGreaterThanOrEqual(page.jobs.length)

    const got = await t.cli.json(['jobs', 'get', id])
    expect((got.json() as Job).id).toBe(id)

    const cancelled = await t.cli.json(['jobs', 'cancel', id])
    expect(cancelled.code).toBe(0)
    expect((cancelled.json() as Job).status).toBe('cancelled')

    const after = await t.cli.json(['jobs', 'wait', id])
    expect(after.code).toBe(1)
    expect((after.json() as Job).status).toBe('cancelled')

    const again = await t.cli.run(['jobs', 'cancel', id])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('(JOB_FINISHED, HTTP 409)')

    const human = await t.cli.run(['jobs', 'list', '--status', 'cancelled'])
    expect(human.stdout).toMatch(/^ID\s+RUNTIME\s+NAMESPACE\s+STATUS/)
    expect(human.stdout).toContain(id)
  })

  it('names an unknown job with the server code', async () => {
    const res = await t.cli.run(['jobs', 'get', 'no-such-job'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('(JOB_NOT_FOUND, HTTP 404)')
  })
})

describe('zerverless batch', () => {
  it('writes one result per input, in input order, and exits 0 when all completed', async () => {
    const js = file('inc.js', 'INPUT.n + 1')
    const n = [5, 3, 9, 1, 7, 2]
    const inputs = file('inputs.jsonl', n.map((v) => JSON.stringify({ n: v })).join('\n') + '\n')
    const out = path.join(dir, 'results.jsonl')
    const res = await t.cli.json(['batch', js, '--inputs', inputs, '--out', out])
    expect(res.code).toBe(0)
    expect(res.json()).toMatchObject({ total: 6, completed: 6, done: true })
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Job)
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(lines.map((l) => l.result)).toEqual(n.map((v) => v + 1))
  })

  it('prints progress as plain lines off a terminal, results on stdout, and exits 1 if any failed', async () => {
    const lua = file('half.lua', 'if INPUT.n == 2 then error("two") end\nreturn INPUT.n / 2')
    const inputs = file('three.jsonl', '{"n": 1}\n{"n": 2}\n{"n": 4}\n')
    const res = await t.cli.run(['batch', lua, '--inputs', inputs])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/jobs: 3\/3 \(100%\)/)
    const lines = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Job)
    expect(lines.map((l) => l.status)).toEqual(['completed', 'failed', 'completed'])
    expect(lines[2]?.result).toBe(2)
  })

  it('names the line of an input that is not JSON', async () => {
    const inputs = file('bad.jsonl', '{"n": 1}\nnot json\n')
    const res = await t.cli.run(['batch', file('x.js', '1'), '--inputs', inputs])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('bad.jsonl line 2 is not JSON')
  })
})
