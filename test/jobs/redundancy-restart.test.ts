/**
 * Redundancy across a crash: with one copy of a redundant job answered and the other waiting, the
 * real CLI is killed -9 and restarted on the same data; the stored answer counts, and the job
 * completes once a second volunteer answers. Honest volunteers are `zerverless --worker` processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { removeDir } from '../helpers/temp-dir'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

let server: ZerverlessProcess
let client: ReturnType<typeof api>
let honest: WorkerProcess | undefined

const SQUARE = 'return INPUT.n * INPUT.n'

const volunteers = async () => (await client.get('/api/volunteers')).body.volunteers as any[]

beforeAll(async () => {
  server = await startZerverless(['--workers', '0'])
  client = api(server.url)
})

afterAll(async () => {
  await honest?.kill()
  await server?.stop()
  removeDir(server.dataDir)
})

describe('redundancy across a restart', () => {
  it('decides from the answers it stored after kill -9 and a restart', async () => {
    const one = startWorker(server.wsUrl, 1)
    await eventually(async () => ((await volunteers()).length === 1 ? true : undefined), 20_000)
    const created = await client.post('/api/jobs', {
      job_type: 'lua',
      code: SQUARE,
      input_data: { n: 9 },
      redundancy: 2,
    })
    // One volunteer answers; the second copy has nobody to go to.
    const half = await eventually(async () => {
      const job = (await client.get(`/api/jobs/${created.body.id}`)).body
      return job.quorum.answers === 1 ? job : undefined
    }, 20_000)
    expect(half).toMatchObject({ status: 'pending', attempts: 1 })

    await server.kill()
    await one.kill()
    server = await startZerverless(['--workers', '0'], server.dataDir)
    client = api(server.url)
    honest = startWorker(server.wsUrl, 2)
    const job = (await client.get(`/api/jobs/${created.body.id}?wait=30`)).body
    expect(job).toMatchObject({
      status: 'completed',
      result: 81,
      attempts: 1,
      quorum: { needed: 2, answers: 2, agreeing: 2, running: 0 },
    })
  })
})
