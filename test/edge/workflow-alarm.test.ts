/**
 * Workflow runs on the Worker outlive their Durable Object: workerd is stopped while one run's
 * step waits for its retry and another's job runs, then started again on the same state; no
 * request wakes the room (its alarm and the returning volunteer do), which builds its
 * orchestrator anew, recovers the runs and finishes them. What the room did meanwhile is read
 * from its JSON log lines, since any request to it would wake it too.
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
const NAMESPACE = 'wf-delta'
const LOGGED = { vars: { LOG_LEVEL: 'info' }, logLevel: 'log' } as const

const started: { edge?: EdgeProcess; worker?: WorkerProcess; stateDir?: string } = {}

afterAll(async () => {
  await started.worker?.kill()
  await started.edge?.stop()
  if (started.stateDir) removeDir(started.stateDir)
})

const idle = async (url: string) =>
  eventually(
    async () => ((await api(url).get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
    30_000,
    'an idle volunteer',
  )

it("goes on after a restart: a retry started by the room's alarm, a lost job run again", async () => {
  expect(roomOf(NAMESPACE, ROOMS)).not.toBe(0)
  const stateDir = (started.stateDir = tempDir('zv-edge-wf-alarm-'))
  let edge = (started.edge = await startEdge({ rooms: ROOMS, stateDir, ...LOGGED }))
  started.worker = startWorker(edge.wsUrl, 1)
  await idle(edge.url)
  const client = api(edge.url)
  const created = await client.post('/api/workflows', {
    name: 'outlives',
    namespace: NAMESPACE,
    steps: [
      {
        id: 'flaky',
        run: {
          runtime: 'js',
          code: 'const n = (db.get("tries") || 0) + 1; db.set("tries", n); if (n < 2) throw new Error("first attempt fails"); n',
        },
        retries: { limit: 2, delay_seconds: 10 },
      },
      {
        id: 'after',
        run: { runtime: 'lua', code: 'return INPUT.value * 10' },
        input: { value: '${steps.flaky.result}' },
      },
    ],
  })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  const run = (await client.post(`/api/workflows/${created.body.id}/runs`, {})).body
  await eventually(
    async () => (await client.get(`/api/jobs/${run.id}.flaky.0.1`)).body.status === 'failed',
    20_000,
    'the first attempt to fail',
  )

  // A second run whose step is running on the volunteer when the process goes.
  const busy = await client.post('/api/workflows', {
    name: 'busy',
    namespace: NAMESPACE,
    steps: [
      {
        id: 'slow',
        run: { runtime: 'js', code: 'const t = Date.now(); while (Date.now() - t < 1500) {} 7' },
      },
    ],
  })
  const running = (await client.post(`/api/workflows/${busy.body.id}/runs`, {})).body
  await eventually(
    async () => (await client.get(`/api/jobs/${running.id}.slow.0.1`)).body.status === 'running',
    20_000,
    'the slow step to run',
  )

  // A deploy while one step waits for its retry and another runs: the objects go with the
  // sockets; their storage and alarms stay.
  await edge.stop()
  edge = started.edge = await startEdge({ rooms: ROOMS, stateDir, port: edge.port, ...LOGGED })
  // Nothing is asked of the runs' room: its alarm and the returning volunteer wake it.
  const ended = (id: string) =>
    eventually(
      () =>
        edge
          .output()
          .split('\n')
          .find((line) => line.includes('"workflow run ') && line.includes(id)),
      40_000,
      `run ${id} to end in the log`,
    )
  expect(await ended(run.id)).toContain('workflow run completed')
  expect(await ended(running.id)).toContain('workflow run completed')
  const after = api(edge.url)
  const done = (await after.get(`/api/workflow-runs/${run.id}`)).body
  expect(done.status, JSON.stringify(done)).toBe('completed')
  expect(done.steps.map((s: { attempts: number }) => s.attempts)).toEqual([2, 1])
  expect(done.steps[1].result).toBe(20)
  // The lost job ran again under its own id: the step's attempt is still the first.
  const resumed = (await after.get(`/api/workflow-runs/${running.id}`)).body
  expect(resumed.steps[0]).toMatchObject({
    status: 'completed',
    attempts: 1,
    job_ids: [`${running.id}.slow.0.1`],
    result: 7,
  })
}, 120_000)
