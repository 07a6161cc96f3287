/**
 * Reputation on the Workers host: the job room keeps it in Durable Object SQLite (the same
 * migration as Node), so a lying runner is still untrusted after `wrangler dev` restarts on the
 * same state. Real workerd, a real worker process, a scripted runner.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { startEdge, type EdgeProcess } from '../helpers/edge-process'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { eventually, removeDir, tempDir } from '../helpers/zerverless-process'

const SQUARE = 'return INPUT.n * INPUT.n'
const SYSTEM = {
  platform: 'linux',
  architecture: 'amd64',
  kernel_version: '6.1',
  cpu_model: 'test',
  cpu_cores: 1,
  cpu_threads: 1,
  total_memory_mb: 1024,
  available_memory_mb: 512,
  total_disk_mb: 1024,
  available_disk_mb: 512,
  gpus: [],
  has_docker: false,
  has_python: false,
}

const stateDir = tempDir('zv-edge-reputation-')
let edge: EdgeProcess | undefined
let worker: WorkerProcess | undefined
const liars: ScriptedVolunteer[] = []

afterAll(async () => {
  for (const liar of liars) liar.terminate()
  await worker?.kill()
  await edge?.stop()
  removeDir(stateDir)
})

/** The room with a liar (a runner answering -1 to everything) that said hello first, and 3 honest. */
async function start(port?: number) {
  edge = await startEdge({ rooms: 1, stateDir, ...(port !== undefined && { port }) })
  const client = api(edge.url)
  const liar = await ScriptedVolunteer.connect(
    edge.wsUrl,
    { runtimes: ['lua'], concurrency: 1 },
    { hello: { peer: { id: 'edge-liar', native: false, system: SYSTEM } } },
  )
  liar.onFrame((frame) => {
    if (frame.type === 'job') liar.complete(frame, -1)
  })
  const beat = setInterval(() => liar.isOpen && liar.send({ type: 'heartbeat' }), 5_000)
  liar.onClose(() => clearInterval(beat))
  liars.push(liar)
  worker = startWorker(edge.wsUrl, 3)
  const volunteers = async () => (await client.get('/api/volunteers')).body.volunteers as Frame[]
  await eventually(async () => ((await volunteers()).length === 4 ? true : undefined), 60_000)
  const standing = async () =>
    (await volunteers()).find((v) => v.id === liar.volunteerId)?.reputation
  return { client, liar, standing }
}

describe('reputation on the edge', () => {
  it('keeps a lying runner untrusted across a restart, in Durable Object storage', async () => {
    const first = await start()
    const job = (
      await first.client.post('/api/jobs', {
        job_type: 'lua',
        code: SQUARE,
        input_data: { n: 7 },
        redundancy: 2,
      })
    ).body
    expect((await first.client.get(`/api/jobs/${job.id}?wait=30`)).body).toMatchObject({
      status: 'completed',
      result: 49,
    })
    expect(await first.standing()).toMatchObject({ disagreed: 1, trusted: false })

    first.liar.close()
    await worker?.kill()
    await edge?.stop()
    const second = await start(edge?.port)
    expect(await second.standing()).toMatchObject({ agreed: 0, disagreed: 1, trusted: false })
  }, 180_000)
})
