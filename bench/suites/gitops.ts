/**
 * Issue 19's GitOps and cron figures, on one orchestrator process: deploying a repository's
 * functions by a sync against deploying the same functions with the API one by one (the
 * baseline, same run); a sync that finds nothing new and one that deploys one changed function;
 * how late a once-a-second trigger fires (tick to run recorded, tick to its job completed); and
 * what idle triggers cost the orchestrator's CPU.
 */
import { gitRepo } from '../../test/helpers/git-repo'
import { tempDir } from '../../test/helpers/temp-dir'
import { cpuPercentOver } from '../lib/proc-stats'
import { startZerverless } from '../lib/processes'
import { percentile, round } from '../lib/stats'
import type { Suite } from './suite'

const FUNCTIONS = 20
const ROUNDS = 3
const RESYNCS = 5
const TICKS = 20
const IDLE_TRIGGERS = 100

const code = (n: number, version: number) =>
  `function handle(req) { return { status: 200, body: 'f${n} v${version}' } }`

const manifest = (version: (n: number) => number) =>
  [
    'apiVersion: zerverless.io/v1',
    'kind: Application',
    'metadata:',
    '  name: bench',
    'spec:',
    '  functions:',
    ...Array.from({ length: FUNCTIONS }, (_, n) => [
      `    - path: /f${n}`,
      '      runtime: js',
      `      code: "${code(n, version(n))}"`,
    ]).flat(),
    '',
  ].join('\n')

interface GitopsResult {
  functions: number
  apiDeployMs: number[]
  firstSyncMs: number[]
  noopSyncMs: number[]
  changedSyncMs: number[]
  cron: { firedLateMs: number[]; completedLateMs: number[] }
  idleCpu: { none: number; triggers: number }
}

async function call(url: string, method: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`)
  return JSON.parse(text || 'null') as Record<string, unknown>
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

const median = (xs: number[]) => round(percentile(xs, 50))

export const gitops: Suite = {
  name: 'gitops',
  async run(log) {
    const server = await startZerverless(['--workers', '1'])
    const result: GitopsResult = {
      functions: FUNCTIONS,
      apiDeployMs: [],
      firstSyncMs: [],
      noopSyncMs: [],
      changedSyncMs: [],
      cron: { firedLateMs: [], completedLateMs: [] },
      idleCpu: { none: 0, triggers: 0 },
    }
    try {
      const base = server.url
      for (let r = 0; r < ROUNDS; r++) {
        log(`round ${r + 1}: ${FUNCTIONS} functions with the API, then by a first sync`)
        result.apiDeployMs.push(
          await timed(async () => {
            for (let n = 0; n < FUNCTIONS; n++)
              await call(`${base}/api/deploy/api${r}/f${n}`, 'POST', {
                runtime: 'js',
                code: code(n, 1),
              })
          }),
        )
        const repo = gitRepo(tempDir('zv-bench-gitops-'))
        repo.push('main', { 'zerverless.yaml': manifest(() => 1) })
        const ns = `git${r}`
        result.firstSyncMs.push(
          await timed(async () => {
            const made = await call(`${base}/api/gitops/applications`, 'POST', {
              name: 'bench',
              namespace: ns,
              source: { repoURL: repo.url, branch: 'main' },
            })
            if (made.phase !== 'Synced') throw new Error(`first sync: ${JSON.stringify(made)}`)
          }),
        )
        const sync = `${base}/api/gitops/applications/bench/sync?namespace=${ns}`
        for (let i = 0; i < RESYNCS; i++) {
          result.noopSyncMs.push(await timed(() => call(sync, 'POST')))
          repo.push('main', { 'zerverless.yaml': manifest((n) => (n === 0 ? i + 2 : 1)) })
          result.changedSyncMs.push(
            await timed(async () => {
              const synced = await call(sync, 'POST')
              const changes = (synced.sync as { changes: unknown[] }).changes
              if (changes.length !== 1) throw new Error(`changed sync: ${JSON.stringify(synced)}`)
            }),
          )
        }
      }

      log(`a trigger every second, ${TICKS} ticks`)
      await call(`${base}/api/cron/cron/every-second`, 'PUT', {
        schedule: '* * * * * *',
        target: { job: { job_type: 'js', code: '1 + 1' } },
      })
      await new Promise((r) => setTimeout(r, (TICKS + 2) * 1000))
      await call(`${base}/api/cron/cron/every-second`, 'DELETE')
      const jobs = (await call(`${base}/api/jobs?namespace=cron&limit=100`, 'GET')).jobs as {
        id: string
        created_at: string
        completed_at: string | null
      }[]
      for (const job of jobs) {
        const tick = Number(job.id.split(':').at(-1))
        result.cron.firedLateMs.push(Date.parse(job.created_at) - tick)
        if (job.completed_at) result.cron.completedLateMs.push(Date.parse(job.completed_at) - tick)
      }

      log(`idle CPU with no triggers, then with ${IDLE_TRIGGERS} (due once a year)`)
      await new Promise((r) => setTimeout(r, 3000)) // what the trigger's jobs left settles
      result.idleCpu.none = (await cpuPercentOver(server.pid, 5000)).percent
      for (let n = 0; n < IDLE_TRIGGERS; n++)
        await call(`${base}/api/cron/idle${n % 10}/t${n}`, 'PUT', {
          schedule: '0 0 1 1 *',
          target: { job: { job_type: 'js', code: '1' } },
        })
      result.idleCpu.triggers = (await cpuPercentOver(server.pid, 5000)).percent
      return result
    } finally {
      await server.stop()
    }
  },
  table(raw) {
    const r = raw as GitopsResult
    const api = median(r.apiDeployMs)
    const first = median(r.firstSyncMs)
    return [
      `One orchestrator process (1 internal worker), file:// repositories, medians of ${ROUNDS} rounds (${RESYNCS} resyncs each).`,
      '',
      '| measure | figure | against |',
      '|---|---|---|',
      `| ${r.functions} functions by a first sync (register, fetch, check, deploy) | ${first} ms | ${api} ms deploying them with the API one by one: ${round(first / api)}× |`,
      `| a sync that finds nothing new (fetch, check, compare) | ${median(r.noopSyncMs)} ms | |`,
      `| a sync deploying one changed function of ${r.functions} | ${median(r.changedSyncMs)} ms | |`,
      `| a once-a-second trigger: tick to its job stored, p50 / p90 (${r.cron.firedLateMs.length} ticks) | ${round(percentile(r.cron.firedLateMs, 50))} / ${round(percentile(r.cron.firedLateMs, 90))} ms | 74 / 95 ms before triggers got a timer of their own (the 100 ms clock) |`,
      `| … tick to its job completed, p50 / p90 | ${round(percentile(r.cron.completedLateMs, 50))} / ${round(percentile(r.cron.completedLateMs, 90))} ms | |`,
      `| orchestrator CPU at idle, ${IDLE_TRIGGERS} triggers against none | ${r.idleCpu.triggers}% | ${r.idleCpu.none}% |`,
    ].join('\n')
  },
}
