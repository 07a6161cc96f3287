/**
 * Cron triggers on the Worker: the room's Durable Object alarm is what fires them (nothing on the
 * Workers host ticks on a timer). A trigger every two seconds in a room other than the home one
 * runs its jobs; workerd is stopped and started again on the same state without its volunteer,
 * and with no request to that room its alarm wakes it, builds its orchestrator anew and fires the
 * next ticks, each once.
 */
import { afterAll, expect, it } from 'vitest'
import { roomOf } from '../../edge/workers/room-routing'
import { api } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { startEdge, type EdgeProcess } from '../helpers/edge-process'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { removeDir, tempDir } from '../helpers/zerverless-process'

const ROOMS = 4
/** Not the home room, which every listing and placement touches. */
const NAMESPACE = 'cron-delta'
const LOGGED = { vars: { LOG_LEVEL: 'info' }, logLevel: 'log' } as const

const started: { edge?: EdgeProcess; worker?: WorkerProcess; stateDir?: string } = {}

afterAll(async () => {
  await started.worker?.kill()
  await started.edge?.stop()
  if (started.stateDir) removeDir(started.stateDir)
})

interface RunView {
  id: string
  tick: string
  status: string
  job_id: string
}

it('fires triggers from the room alarm, also after a restart that nothing else wakes', async () => {
  expect(roomOf(NAMESPACE, ROOMS)).not.toBe(0)
  const stateDir = (started.stateDir = tempDir('zv-edge-cron-'))
  let edge = (started.edge = await startEdge({ rooms: ROOMS, stateDir, ...LOGGED }))
  started.worker = startWorker(edge.wsUrl, 1)
  const client = api(edge.url)
  await eventually(
    async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
    30_000,
    'an idle volunteer',
  )
  const put = await client.put(`/api/cron/${NAMESPACE}/beat`, {
    schedule: '*/2 * * * * *',
    target: { job: { job_type: 'lua', code: 'return 7' } },
  })
  expect(put.status, JSON.stringify(put.body)).toBe(201)
  const before = await eventually(
    async () => {
      const runs = (await client.get(`/api/cron/${NAMESPACE}/beat`)).body.runs as RunView[]
      return runs.some((run) => run.status === 'completed') ? runs : undefined
    },
    30_000,
    'a run to complete',
  )
  const done = before.find((run) => run.status === 'completed') as RunView
  // Job ids carry the room, so that a request for one finds it.
  expect(done.job_id).toBe(
    `r${roomOf(NAMESPACE, ROOMS)}-cron:${NAMESPACE}:beat:${Date.parse(done.tick)}`,
  )
  expect((await client.get(`/api/jobs/${done.job_id}`)).body.result).toBe(7)

  // No volunteer comes back either: only the alarm can wake the room now.
  await started.worker.kill()
  await edge.stop()
  const restartedAt = Date.now()
  edge = started.edge = await startEdge({ rooms: ROOMS, stateDir, port: edge.port, ...LOGGED })
  // Nothing is asked of the trigger's room: its alarm alone wakes it for the next ticks.
  const firedLines = (since: number) =>
    edge
      .output()
      .split('\n')
      .filter((line) => line.includes('cron tick fired') && line.includes('"beat"'))
      .filter((line) => Number(/"tick":(\d+)/.exec(line)?.[1]) > since)
  await eventually(() => firedLines(restartedAt).length >= 2 || undefined, 40_000, 'ticks fired')
  const after = (await api(edge.url).get(`/api/cron/${NAMESPACE}/beat`)).body.runs as RunView[]
  const ticks = after.map((run) => Date.parse(run.tick))
  expect(new Set(ticks).size, JSON.stringify(after)).toBe(ticks.length)
  expect(ticks.filter((tick) => tick > restartedAt).length).toBeGreaterThanOrEqual(2)
  for (const run of after) expect(run.id).toBe(`cron:beat:${Date.parse(run.tick)}`)
}, 120_000)
