/**
 * A peer killed (`kill -9`) while it runs our job: the job is taken back at once (its stream dies
 * with the connection), runs elsewhere, and ends exactly once, with nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startMeshNode, type MeshNode } from '../helpers/mesh-cluster'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

let a: MeshNode
let b: MeshNode
let c: ZerverlessProcess

beforeAll(async () => {
  a = await startMeshNode('a', { volunteers: [{ runtimes: ['lua'] }] })
  b = await startMeshNode('b', { bootstrap: [a.address] })
  // C is a real `zerverless` process with one internal worker, so it can be killed outright.
  c = await startZerverless(['--workers', '1', '--p2p-port', '0', '--bootstrap', a.address])
}, 60_000)

afterAll(async () => {
  await c?.kill()
  await Promise.all([a, b].map((node) => node?.stop()))
})

const peerIdOf = (output: string) => /joined the mesh as (\S+)/.exec(output)?.[1]

describe('a peer that dies mid-job', () => {
  it('loses nothing: the job completes on another peer, once', async () => {
    const cId = await eventually(() => peerIdOf(c.output()), 15_000, 'C to join the mesh')
    await eventually(async () => {
      const peers = (await a.client.get('/api/federation/peers')).body.peers
      const found = peers.find((p: { id: string }) => p.id === cId)
      return found?.takes_our_work
    }, 30_000)
    const before = (await a.client.get('/stats')).body.jobs.completed
    const job = await a.client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      // It tells the origin it started, then waits for the origin's go: it is mid-job when C dies.
      code: [
        'db.set("started", true)',
        'while (!db.get("go")) { const t = Date.now(); while (Date.now() - t < 20) {} }',
        'db.set("runs", (db.get("runs") ?? 0) + 1)',
        '"finished"',
      ].join('\n'),
      max_retries: 3,
    })
    expect(job.status).toBe(201)
    await eventually(async () => {
      const started = await a.client.get('/api/db/alice/started')
      return started.status === 200
    }, 60_000)
    expect((await a.client.get(`/api/jobs/${job.body.id}`)).body).toMatchObject({
      status: 'running',
      volunteer_id: `orch:${cId}`,
    })

    await c.kill()
    // Back in A's queue; B gets a volunteer that can run it.
    await eventually(async () => {
      const now = (await a.client.get(`/api/jobs/${job.body.id}`)).body
      return now.status === 'pending'
    }, 30_000)
    await b.addVolunteer({ runtimes: ['js'] })
    await a.client.put('/api/db/alice/go', { value: true })

    const done = await a.client.get(`/api/jobs/${job.body.id}?wait=60`)
    expect(done.body).toMatchObject({
      status: 'completed',
      result: 'finished',
      attempts: 2,
      executed_by: { orchestrator: b.peerId },
    })
    expect((await a.client.get('/api/db/alice/runs')).body.value).toBe(1)
    expect((await a.client.get('/stats')).body.jobs.completed).toBe(before + 1)
  }, 120_000)
})
