/**
 * kill -9 of the orchestrator in the middle of a workflow run, then a restart on the same data
 * directory: the run goes on where it was; steps and elements that had completed are not run
 * again (each counts its runs in the namespace's KV store), and the run completes with the right
 * result.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const servers: ZerverlessProcess[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) await server.kill()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

/** Counts its own runs under `key` before answering. */
const counted = (key: string, answer: string) =>
  `db.set(${key}, (db.get(${key}) ?? 0) + 1); ${answer}`

const WORKFLOW = {
  name: 'survives',
  namespace: 'crash',
  steps: [
    {
      id: 'first',
      run: { runtime: 'js', code: counted('"first"', 'Array.from({ length: 12 }, (_, i) => i)') },
    },
    {
      id: 'each',
      run: {
        runtime: 'js',
        code: `const t = Date.now(); while (Date.now() - t < 150) {} ${counted('"each-" + INPUT.index', 'INPUT.item * 2')}`,
      },
      foreach: '${steps.first.result}',
    },
    {
      id: 'sum',
      run: {
        runtime: 'lua',
        code: 'local s = 0 for _, v in ipairs(INPUT.value) do s = s + v end return s',
      },
      input: '${steps.each.result}',
    },
  ],
}

describe('a workflow run through kill -9', () => {
  it('goes on after a restart without running completed work again', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const args = ['--workers', '1']
    const first = await startZerverless(args, dataDir)
    servers.push(first)
    let client = api(first.url)
    const created = await client.post('/api/workflows', WORKFLOW)
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const run = (await client.post(`/api/workflows/${created.body.id}/runs`, {})).body.id as string

    // Kill it once some elements are done, noting which.
    const batch = `/api/jobs?namespace=crash&batch_id=${run}.each&status=completed&limit=100`
    const doneBefore = await eventually(
      async () => {
        const jobs = (await client.get(batch)).body.jobs as { id: string }[]
        return jobs.length >= 3 ? jobs.map((j) => j.id) : undefined
      },
      60_000,
      'three elements done',
    )
    await first.kill()
    servers.splice(servers.indexOf(first), 1)

    const second = await startZerverless(args, dataDir)
    servers.push(second)
    client = api(second.url)
    const done = (await client.get(`/api/workflow-runs/${run}?wait=60`)).body
    expect(done.status, JSON.stringify(done)).toBe('completed')
    const sum = done.steps.find((s: { id: string }) => s.id === 'sum')
    expect(sum.result).toBe(2 * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11))
    expect((await client.get('/api/db/crash/first')).body.value).toBe(1)
    // Elements completed before the crash ran once; the others at least once.
    for (let i = 0; i < 12; i++) {
      const runs = (await client.get(`/api/db/crash/each-${i}`)).body.value as number
      if (doneBefore.includes(`${run}.each.${i}.1`)) expect(runs, `element ${i}`).toBe(1)
      else expect(runs, `element ${i}`).toBeGreaterThanOrEqual(1)
    }
  }, 120_000)
})
