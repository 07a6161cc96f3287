/**
 * The README is the front door: every `curl` line of its "Using it" section runs against a fresh
 * server, and an example's `# →` comment, where it has one, must match the answer.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cidOf } from '../shared/cid'
import { api } from './helpers/api'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from './helpers/zerverless-process'

const README = readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8')

interface Example {
  command: string
  expect?: string
}

/** curl commands (joined across `\` continuations) from bash blocks of the "Using it" section. */
function examples(): Example[] {
  const section = README.slice(README.indexOf('## Using it'), README.indexOf('## How it is built'))
  const found: Example[] = []
  for (const block of section.matchAll(/```bash\n([\s\S]*?)```/g)) {
    const lines = (block[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n')
    for (const line of lines) {
      if (line.startsWith('curl '))
        found.push({ command: line.replace(/\s+#(?!\s*→).*$/, '').trim() })
      const arrow = /^# → (.*)$/.exec(line)
      const last = found.at(-1)
      if (arrow && last) last.expect = arrow[1]
    }
  }
  return found
}

let server: ZerverlessProcess
let ids: { job: string; running: string; batch: string; wasm: string }

beforeAll(async () => {
  server = await startZerverless(['--workers', '1'])
  const client = api(server.url)
  await eventually(async () => (await client.get('/stats')).body.volunteers.idle === 1 || undefined)
  const job = (await client.post('/api/jobs', { job_type: 'lua', code: 'return 1' })).body
  // DELETE examples cancel this one; it never finishes on its own.
  const running = (
    await client.post('/api/jobs', {
      job_type: 'lua',
      code: 'while true do end',
      timeout_seconds: 60,
    })
  ).body
  const batch = (
    await client.post('/api/jobs/batch', { job_type: 'lua', code: 'return 1', inputs: [{}] })
  ).body
  const wasm = await cidOf(
    new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../examples/echo.wasm'))),
  )
  ids = { job: job.id, running: running.id, batch: batch.batch_id, wasm }
})

afterAll(async () => {
  await server.stop()
  removeDir(server.dataDir)
})

describe('README examples', () => {
  const all = examples()

  it('has the seed examples to run', () => {
    expect(all.length).toBeGreaterThanOrEqual(10)
  })

  for (const example of all) {
    it(`runs: ${example.command.slice(0, 90)}`, () => {
      const command = example.command
        .replaceAll('http://localhost:8000', server.url)
        .replaceAll('JOB_ID', example.command.includes('DELETE') ? ids.running : ids.job)
        .replaceAll('BATCH_ID', ids.batch)
        .replaceAll('WASM_CID', ids.wasm)
      const out = execFileSync('bash', ['-c', `${command} -s -w '\\n%{http_code}'`], {
        encoding: 'utf8',
      })
      const status = Number(out.trim().split('\n').at(-1))
      const body = out.trim().split('\n').slice(0, -1).join('\n')
      expect(status, body).toBeLessThan(400)
      if (example.expect) {
        if (!example.expect.startsWith('{')) {
          expect(body).toBe(example.expect)
          return
        }
        const wanted = JSON.parse(
          example.expect.replace(/"…"/g, '"X"').replace(/\["X"(, "X")*\]/g, '"LIST"'),
        )
        const got = JSON.parse(body)
        for (const [key, value] of Object.entries(wanted)) {
          if (value === 'X') expect(typeof got[key]).toBe('string')
          else if (value === 'LIST') expect(Array.isArray(got[key])).toBe(true)
          else expect(got[key]).toEqual(value)
        }
      }
    })
  }
})
