/**
 * A workflow run on the Worker outlives its Durable Object: workerd is stopped while a step waits
 * for its retry, started again on the same state, and the room's alarm (not a request) wakes the
 * room, which builds its orchestrator anew, recovers the run and finishes it. What the room did
 * meanwhile is read from its JSON log lines, since any request to it would wake it too.
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

it("goes on after a restart, its retry started by the room's alarm", async () => {
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
        retries: { limit: 2, delay_seconds: 6 },
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

  // A deploy while the step waits for its retry: the objects go, their storage and alarms stay.
  await edge.stop()
  edge = started.edge = await startEdge({ rooms: ROOMS, stateDir, port: edge.port, ...LOGGED })
  // Nothing is asked of the run's room: its alarm wakes it, and the run ends.
  const ended = await eventually(
    () =>
      edge
        .output()
        .split('\n')
        .find((line) => line.includes('"workflow run ') && line.includes(run.id)),
    40_000,
    'the run to end in the log',
  )
  expect(ended).toContain('workflow run completed')
  const done = (await api(edge.url).get(`/api/workflow-runs/${run.id}`)).body
  expect(done.status, JSON.stringify(done)).toBe('completed')
  expect(done.steps.map((s: { attempts: number }) => s.attempts)).toEqual([2, 1])
  expect(done.steps[1].result).toBe(20)
}, 120_000)
