/**
 * The README is the front door and docs/ the rooms behind it: every `curl` line of their bash
 * blocks runs against a fresh server (with an internal worker and a runner), and an example's
 * `# →` (or `# ✗`) comment, where it has one, must match the answer. The README runs against a
 * server of its own; the docs pages share one, in the order below, since later pages use what
 * earlier ones made (cron fires the workflows page's workflow).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
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
import { examplesOf, expectAnswer, filesOf, unrunnable, runCurl } from './doc-examples'

const ROOT = path.resolve(import.meta.dirname, '../..')
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')

/** The docs pages this suite runs, in order; pages with no runnable example are checked too. */
const DOCS = [
  'docs/jobs.md',
  'docs/functions.md',
  'docs/kv-and-storage.md',
  'docs/services.md',
  'docs/workflows.md',
  'docs/secrets.md',
  'docs/cron.md',
  'docs/gitops.md',
  'docs/observability.md',
  'docs/volunteers.md',
  'docs/configuration.md',
  'docs/sandbox.md',
  'docs/federation.md',
  'docs/edge.md',
  'docs/architecture.md',
  'docs/development.md',
  'docs/benchmarks.md',
  'docs/api.md',
  'docs/console.md',
]

/** Pages whose examples need auth on: `security-docs.test.ts` runs them. */
const AUTH_DOCS = ['docs/security.md']

/** The GitOps page's repository: its manifest as the page shows it, and the files it names. */
const GITOPS_URL = 'https://github.com/dana/site.git'

interface Ids {
  job: string
  batch: string
  wasm: string
  service?: string
  runJob?: string
  workflow?: string
  run?: string
}

/** Runs `pages`' examples, in order, against one fresh server. */
function runPages(title: string, pages: string[]): void {
  describe(title, () => {
    let server: ZerverlessProcess
    let runner: RunnerProcess
    let ids: Ids
    const scratch = tempDir('zv-readme-')
    /** Files the pages write with `cat > FILE <<'EOF'`, written here to a temp dir instead. */
    const written = new Map<string, string>()
    let gitopsRepo = GITOPS_URL

    beforeAll(async () => {
      server = await startZerverless(['--workers', '1'])
      // The native-services examples need a runner; sandboxed jobs stay with the internal workers.
      runner = await startRunner(server.url, ['--no-sandbox'])
      chmodSync(scratch, 0o755)
      for (const page of pages)
        for (const [name, body] of filesOf(read(page))) {
          const file = path.join(scratch, path.basename(name))
          writeFileSync(file, body)
          chmodSync(file, 0o755)
          written.set(name, file)
        }
      const gitops = pages.find((page) => page.endsWith('gitops.md'))
      if (gitops) gitopsRepo = gitopsRepoFrom(read(gitops))
      const client = api(server.url)
      await eventually(
        async () => (await client.get('/stats')).body.volunteers.idle === 2 || undefined,
      )
      const job = (await client.post('/api/jobs', { job_type: 'lua', code: 'return 1' })).body
      const batch = (
        await client.post('/api/jobs/batch', { job_type: 'lua', code: 'return 1', inputs: [{}] })
      ).body
      const wasm = await cidOf(new Uint8Array(readFileSync(path.join(ROOT, 'examples/echo.wasm'))))
      ids = { job: job.id, batch: batch.batch_id, wasm }
    })

    afterAll(async () => {
      await stopRunner(runner)
      await server.stop()
      removeDir(server.dataDir)
      removeDir(scratch)
    })

    for (const page of pages) {
      const text = read(page)
      it(`${page}: every curl example targets the example server (or is marked not run)`, () => {
        expect(unrunnable(text)).toEqual([])
      })
      for (const example of examplesOf(text))
        it(`${page} runs: ${example.command.slice(0, 90)}`, async () => {
          // A DELETE example cancels a job that would never finish on its own, made just before
          // (made earlier, it would hold the worker the examples before it need).
          const cancels = example.command.includes('DELETE') && example.command.includes('JOB_ID')
          const running = cancels ? await neverEnding(server.url) : ids.job
          let command = example.command
            .replaceAll('http://localhost:8000', server.url)
            .replaceAll('RUN_JOB_ID', ids.runJob ?? 'no-run-yet')
            .replaceAll('WORKFLOW_ID', ids.workflow ?? 'no-workflow-yet')
            .replaceAll('RUN_ID', ids.run ?? 'no-workflow-run-yet')
            .replaceAll('SERVICE_ID', ids.service ?? 'no-service-yet')
            .replaceAll('JOB_ID', running)
            .replaceAll('BATCH_ID', ids.batch)
            .replaceAll('WASM_CID', ids.wasm)
            .replaceAll(GITOPS_URL, gitopsRepo)
          for (const [name, file] of written) command = command.replaceAll(name, file)
          const { status, body } = runCurl(command)
          remember(ids, command, body)
          if (example.errorStatus !== undefined) expect(status, body).toBe(example.errorStatus)
          else expect(status, body).toBeLessThan(400)
          if (example.expect) expectAnswer(example.expect, body)
        })
    }
  })
}

async function neverEnding(url: string): Promise<string> {
  const job = await api(url).post('/api/jobs', {
    job_type: 'lua',
    code: 'while true do end',
    timeout_seconds: 60,
  })
  return job.body.id
}

/** Later examples use what earlier ones created: a service, its run, a workflow and its run. */
function remember(ids: Ids, command: string, body: string): void {
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
}

function gitopsRepoFrom(page: string): string {
  const manifest = /```yaml\n([\s\S]*?)```/.exec(page)?.[1] ?? ''
  return repoWith({
    'zerverless.yaml': manifest,
    'functions/report.lua': 'function handle(req) return {status=200, body="report"} end\n',
    'workflows/nightly.yaml':
      'name: nightly\nsteps:\n  - id: a\n    run: { runtime: js, code: "1" }\n',
    'public/index.html': '<h1>dana</h1>\n',
  }).url
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

describe('README and docs/', () => {
  it('has the seed examples to run in the README', () => {
    expect(examplesOf(read('README.md')).length).toBeGreaterThanOrEqual(10)
  })

  it('keeps the README under 250 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThan(250)
  })

  it('links only pages and headings that exist', () => {
    const broken: string[] = []
    for (const page of ['README.md', ...DOCS, ...AUTH_DOCS, 'docs/cli.md'])
      for (const [, target, anchor] of read(page).matchAll(/\]\(([\w./-]*\.md)?(?:#([^)]*))?\)/g)) {
        const file = target ? path.normalize(path.join(path.dirname(page), target)) : page
        if (!existsSync(path.join(ROOT, file))) broken.push(`${page} → ${target}`)
        else if (anchor && !headingSlugs(read(file)).has(anchor))
          broken.push(`${page} → ${target ?? ''}#${anchor}`)
      }
    expect(broken).toEqual([])
  })
})

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as `-`. */
function headingSlugs(page: string): Set<string> {
  const outside = page.replace(/```[\s\S]*?```/g, '')
  return new Set(
    [...outside.matchAll(/^#{1,6} (.+)$/gm)].map(([, title]) =>
      (title as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

runPages('README examples', ['README.md'])
runPages('docs/ examples', DOCS)
