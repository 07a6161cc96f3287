/**
 * A cron every two seconds on a real `zerverless` process, stopped for several ticks and started
 * again on the same data directory: no tick runs twice, every run's job has the id its tick gives
 * it, and the ticks that came due while it was down collapse into one run (`missed: "once"`) or
 * into none (`missed: "skip"`); both go on ticking afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { sleep } from '../helpers/eventually'
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

interface RunView {
  id: string
  tick: string
  status: string
  job_id: string
  missed?: true
}

const NAMESPACE = 'ticker'
const EVERY_MS = 2_000

const trigger = (missed: 'once' | 'skip') => ({
  schedule: '*/2 * * * * *',
  missed,
  target: { job: { job_type: 'lua', code: 'return 1' } },
})

const runsOf = async (client: ApiClient, name: string): Promise<RunView[]> =>
  (await client.get(`/api/cron/${NAMESPACE}/${name}`)).body.runs
const tickOf = (run: RunView) => Date.parse(run.tick)

/** Every run has its own tick, on the schedule, and its job the id the tick gives it. */
async function checkRuns(client: ApiClient, name: string, runs: RunView[]): Promise<void> {
  const ticks = runs.map(tickOf)
  expect(new Set(ticks).size, JSON.stringify(runs)).toBe(ticks.length)
  for (const run of runs) {
    const tick = tickOf(run)
    expect(tick % EVERY_MS).toBe(0)
    expect(run.id).toBe(`cron:${name}:${tick}`)
    expect(run.job_id).toBe(`cron:${NAMESPACE}:${name}:${tick}`)
    const job = await client.get(`/api/jobs/${run.job_id}`)
    expect(job.status).toBe(200)
    expect(job.body.namespace).toBe(NAMESPACE)
  }
}

describe('cron triggers across a restart', () => {
  it('run each tick once; ticks missed while down run once or are skipped', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const args = ['--workers', '1']
    let server = await startZerverless(args, dataDir)
    servers.push(server)
    let client = api(server.url)
    for (const missed of ['once', 'skip'] as const) {
      const put = await client.put(`/api/cron/${NAMESPACE}/${missed}`, trigger(missed))
      expect(put.status, JSON.stringify(put.body)).toBe(201)
    }
    for (const name of ['once', 'skip'])
      await eventually(
        async () => (await runsOf(client, name)).length >= 2 || undefined,
        20_000,
        `two runs of ${name}`,
      )

    await server.stop()
    servers.splice(0)
    const exitedAt = Date.now()
    // Down for three ticks or more.
    await sleep(3 * EVERY_MS + 500)
    const spawnAt = Date.now()
    server = await startZerverless(args, dataDir)
    servers.push(server)
    const listeningAt = Date.now()
    client = api(server.url)
    // Both go on ticking after the restart.
    const after = async (name: string) =>
      eventually(
        async () => {
          const runs = await runsOf(client, name)
          return runs.some((run) => tickOf(run) > listeningAt + EVERY_MS) ? runs : undefined
        },
        20_000,
        `${name} to tick after the restart`,
      )
    const once = await after('once')
    const skip = await after('skip')
    await checkRuns(client, 'once', once)
    await checkRuns(client, 'skip', skip)

    // once: the ticks missed while down are one run, the latest of them, and it ran.
    const missed = once.filter((run) => run.missed)
    expect(missed, JSON.stringify(once)).toHaveLength(1)
    const collapsed = missed[0] as RunView
    expect(tickOf(collapsed)).toBeGreaterThan(exitedAt)
    expect(tickOf(collapsed)).toBeLessThan(listeningAt)
    expect(once.filter((run) => tickOf(run) > exitedAt && tickOf(run) < tickOf(collapsed))).toEqual(
      [],
    )
    await eventually(
      async () =>
        (await client.get(`/api/jobs/${collapsed.job_id}`)).body.status === 'completed' ||
        undefined,
      20_000,
      'the missed run to complete',
    )

    // skip: none of the ticks missed while down ran (one due within its grace at start may).
    expect(skip.filter((run) => run.missed)).toEqual([])
    expect(
      skip.filter((run) => tickOf(run) > exitedAt && tickOf(run) <= spawnAt - EVERY_MS / 2),
      JSON.stringify(skip),
    ).toEqual([])
  }, 90_000)
})
