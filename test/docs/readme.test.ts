/**
 * The README is the front door: every `curl` line of its "Using it" section runs against a fresh
 * server, and an example's `# →` comment, where it has one, must match the answer.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cidOf } from '../../shared/protocol/cid'
import { api } from '../helpers/api'
import { repoWith } from '../helpers/gitops-fixtures'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
  tempDir,
} from '../helpers/zerverless-process'

const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8')

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
let runner: RunnerProcess
let ids: {
  job: string
  running: string
  batch: string
  wasm: string
  service?: string
  runJob?: string
  workflow?: string
  run?: string
}
/** Files the README writes with `cat > FILE <<'EOF'`, written here to a temp dir instead. */
const written = new Map<string, string>()
const scratch = tempDir('zv-readme-')
/** The GitOps section's repository: its manifest as the README shows it, and the files it names. */
const GITOPS_URL = 'https://github.com/dana/site.git'
let gitopsRepo: string

function gitopsRepoFromReadme(): string {
  const section = README.slice(README.indexOf('### Deploy from git (GitOps)'))
  const manifest = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  return repoWith({
    'zerverless.yaml': manifest,
    'functions/report.lua': 'function handle(req) return {status=200, body="report"} end\n',
    'workflows/nightly.yaml':
      'name: nightly\nsteps:\n  - id: a\n    run: { runtime: js, code: "1" }\n',
    'public/index.html': '<h1>dana</h1>\n',
  }).url
}

function writeReadmeFiles(): void {
  const section = README.slice(README.indexOf('## Using it'), README.indexOf('## How it is built'))
  for (const match of section.matchAll(/cat > (\S+) <<'EOF'\n([\s\S]*?)\nEOF\n/g)) {
    const [, name, body] = match
    const file = path.join(scratch, path.basename(name as string))
    writeFileSync(file, `${body}\n`)
    chmodSync(file, 0o755)
    written.set(name as string, file)
  }
}

beforeAll(async () => {
  server = await startZerverless(['--workers', '1'])
  // The native-services examples need a runner; sandboxed jobs stay with the internal worker.
  runner = await startRunner(server.url, ['--no-sandbox'])
  chmodSync(scratch, 0o755)
  writeReadmeFiles()
  gitopsRepo = gitopsRepoFromReadme()
  const client = api(server.url)
  await eventually(async () => (await client.get('/stats')).body.volunteers.idle === 2 || undefined)
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
    new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../examples/echo.wasm'))),
  )
  ids = { job: job.id, running: running.id, batch: batch.batch_id, wasm }
})

afterAll(async () => {
  await stopRunner(runner)
  await server.stop()
  removeDir(server.dataDir)
  removeDir(scratch)
})

describe('README examples', () => {
  const all = examples()

  it('has the seed examples to run', () => {
    expect(all.length).toBeGreaterThanOrEqual(10)
  })

  for (const example of all) {
    it(`runs: ${example.command.slice(0, 90)}`, () => {
      let command = example.command
        .replaceAll('http://localhost:8000', server.url)
        .replaceAll('RUN_JOB_ID', ids.runJob ?? 'no-run-yet')
        .replaceAll('WORKFLOW_ID', ids.workflow ?? 'no-workflow-yet')
        .replaceAll('RUN_ID', ids.run ?? 'no-workflow-run-yet')
        .replaceAll('SERVICE_ID', ids.service ?? 'no-service-yet')
        .replaceAll('JOB_ID', example.command.includes('DELETE') ? ids.running : ids.job)
        .replaceAll('BATCH_ID', ids.batch)
        .replaceAll('WASM_CID', ids.wasm)
        .replaceAll(GITOPS_URL, gitopsRepo)
      for (const [name, file] of written) command = command.replaceAll(name, file)
      const out = execFileSync('bash', ['-c', `${command} -s -w '\\n%{http_code}'`], {
        encoding: 'utf8',
      })
      const status = Number(out.trim().split('\n').at(-1))
      const body = out.trim().split('\n').slice(0, -1).join('\n')
      // Later examples use what earlier ones created.
      if (command.includes('/api/services/standalone/')) {
        const parsed = tryJson(body) as { service?: { id?: number }; job?: { id?: string } }
        if (parsed?.service?.id !== undefined && command.includes('from-local'))
          ids.service = String(parsed.service.id)
        if (parsed?.job?.id !== undefined) ids.runJob = parsed.job.id
      }
      if (/\/api\/workflows(\/[^/]+\/runs)?'? /.test(`${command} `) && command.includes('POST')) {
        const id = (tryJson(body) as { id?: string } | undefined)?.id
        if (id !== undefined && command.includes('/runs')) ids.run = id
        else if (id !== undefined) ids.workflow = id
      }
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

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
