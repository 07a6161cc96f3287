/**
 * Service steps on the Worker: standalone services and runners are in the home room, so a
 * workflow of a namespace kept there runs its native steps on a real runner (and hands their
 * output on), while one of another room is refused them when defined. Real workerd and runner.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { roomOf } from '../../edge/workers/room-routing'
import { HOME_NAMESPACE, WORKFLOW_NAMESPACES } from '../contract/workflow-contract-kit'
import { api } from '../helpers/api'
import { startEdge, type EdgeProcess } from '../helpers/edge-process'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { eventually, removeDir, tempDir } from '../helpers/zerverless-process'

const ROOMS = 4

let edge: EdgeProcess
let runner: RunnerProcess
let worker: WorkerProcess
let client: ReturnType<typeof api>
const dir = tempDir('zv-edge-wf-native-')

beforeAll(async () => {
  edge = await startEdge({ rooms: ROOMS })
  client = api(edge.url)
  runner = await startRunner(edge.url, ['--no-sandbox'])
  worker = startWorker(edge.wsUrl, 1)
  await eventually(
    async () => ((await client.get('/stats')).body.volunteers?.idle ?? 0) >= 1 || undefined,
    30_000,
  )
}, 90_000)

afterAll(async () => {
  await worker?.kill()
  await stopRunner(runner)
  await edge?.dispose()
  removeDir(dir)
})

async function service(name: string, namespace: string) {
  const script = path.join(dir, `${name}.sh`)
  writeFileSync(script, '#!/bin/sh\necho "hello $1"\n')
  chmodSync(script, 0o755)
  const created = await client.post('/api/services/standalone/from-local', {
    service_name: name,
    executable_path: script,
    namespace,
  })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
}

it('runs a service step for a namespace of the home room, and hands its output on', async () => {
  expect(roomOf(HOME_NAMESPACE, ROOMS)).toBe(0)
  await service('wf-greeter', HOME_NAMESPACE)
  const created = await client.post('/api/workflows', {
    name: 'native',
    namespace: HOME_NAMESPACE,
    steps: [
      { id: 'greet', run: { service: 'wf-greeter', arguments: ['${input.who}'] } },
      {
        id: 'shout',
        run: { runtime: 'js', code: 'INPUT.text.trim().toUpperCase()' },
        input: { text: '${steps.greet.output}' },
      },
    ],
  })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  const run = (
    await client.post(`/api/workflows/${created.body.id}/runs`, { input: { who: 'edge' } })
  ).body
  const done = (await client.get(`/api/workflow-runs/${run.id}?wait=80`)).body
  expect(done.status, JSON.stringify(done)).toBe('completed')
  const [greet, shout] = done.steps
  expect(greet).toMatchObject({ kind: 'service', status: 'completed' })
  expect(shout.result).toBe('HELLO EDGE')
  const job = (await client.get(`/api/jobs/${greet.job_ids[0]}`)).body
  expect(job).toMatchObject({ status: 'completed', exit_code: 0 })
  const stdout = await fetch(`${edge.url}/api/jobs/${job.id}/outputs/stdout.txt`)
  expect(await stdout.text()).toBe('hello edge\n')
}, 90_000)

it('refuses a service step for a namespace of another room when it is defined', async () => {
  const [away] = WORKFLOW_NAMESPACES
  await service('wf-away', away)
  const res = await client.post('/api/workflows', {
    name: 'native',
    namespace: away,
    steps: [{ id: 'greet', run: { service: 'wf-away' } }],
  })
  expect(res.status, JSON.stringify(res.body)).toBe(400)
  expect(res.body).toMatchObject({ code: 'INVALID_WORKFLOW', field: 'steps.0.run.service' })
  expect(res.body.error).toContain('home room')
})
