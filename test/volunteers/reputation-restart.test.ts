/**
 * Reputation outlives the orchestrator: a runner that lied (it answers every redundant copy with
 * a wrong result) is still untrusted after the real CLI restarts on the same data directory and
 * the runner reconnects with its lasting peer id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

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

let server: ZerverlessProcess
let client: ReturnType<typeof api>
let honest: WorkerProcess | undefined
const liars: ScriptedVolunteer[] = []

/** A runner (it announces a peer id) that answers every job it gets with -1. */
async function connectLiar(): Promise<ScriptedVolunteer> {
  const liar = await ScriptedVolunteer.connect(
    server.wsUrl,
    { runtimes: ['lua'], concurrency: 1 },
    { hello: { peer: { id: 'liar-runner', native: false, system: SYSTEM } } },
  )
  liar.onFrame((frame) => {
    if (frame.type === 'job') liar.complete(frame, -1, 'trust me\n')
  })
  liars.push(liar)
  return liar
}

const volunteers = async () => (await client.get('/api/volunteers')).body.volunteers as Frame[]
const standingOf = async (id: string | undefined) =>
  (await volunteers()).find((v) => v.id === id)?.reputation

async function start(dataDir?: string) {
  server = await startZerverless(['--workers', '0', '--log-level', 'warn'], dataDir)
  client = api(server.url)
  // The liar says hello first, so it is the first volunteer offered a copy.
  const liar = await connectLiar()
  // Three honest ones: round 1 (liar + one honest) splits, round 2 needs two that have not answered.
  honest = startWorker(server.wsUrl, 3)
  await eventually(async () => ((await volunteers()).length === 4 ? true : undefined), 20_000)
  return liar
}

beforeAll(async () => {
  await start()
})

afterAll(async () => {
  for (const liar of liars) liar.terminate()
  await honest?.kill()
  await server?.stop()
  removeDir(server.dataDir)
})

describe('reputation across a restart', () => {
  it('keeps a lying runner untrusted after the orchestrator restarts on the same data', async () => {
    const job = (
      await client.post('/api/jobs', {
        job_type: 'lua',
        code: SQUARE,
        input_data: { n: 7 },
        redundancy: 2,
      })
    ).body
    const done = (await client.get(`/api/jobs/${job.id}?wait=30`)).body
    expect(done).toMatchObject({ status: 'completed', result: 49 })
    expect(await standingOf(liars[0]!.volunteerId)).toMatchObject({
      agreed: 0,
      disagreed: 1,
      trusted: false,
    })

    // SIGTERM, then the same data directory: the liar reconnects with the same peer id.
    liars[0]!.close()
    await honest?.kill()
    await server.stop()
    const liar = await start(server.dataDir)
    expect(await standingOf(liar.volunteerId)).toMatchObject({
      agreed: 0,
      disagreed: 1,
      trusted: false,
    })
    // Untrusted, it gets no copy of a new redundant job, which completes on honest volunteers.
    const next = (
      await client.post('/api/jobs', {
        job_type: 'lua',
        code: SQUARE,
        input_data: { n: 5 },
        redundancy: 2,
      })
    ).body
    expect((await client.get(`/api/jobs/${next.id}?wait=30`)).body).toMatchObject({
      status: 'completed',
      result: 25,
      attempts: 1,
    })
    expect(liar.frames.filter((f) => f.type === 'job')).toHaveLength(0)
  }, 120_000)
})
