/**
 * Answers from peers pass the checks a volunteer's do: a redundant job's copies go to distinct
 * peers, their answers must agree, and each peer's standing is kept in SQLite across a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startMeshNode, type MeshNode } from '../helpers/mesh-cluster'
import { removeDir, tempDir } from '../helpers/temp-dir'

let a: MeshNode
let c: MeshNode
let d: MeshNode
const aDir = tempDir('zv-mesh-a-')

beforeAll(async () => {
  c = await startMeshNode('c', { volunteers: [{ runtimes: ['python'] }] })
  d = await startMeshNode('d', { bootstrap: [c.address], volunteers: [{ runtimes: ['python'] }] })
  a = await startMeshNode('a', {
    dataDir: aDir,
    bootstrap: [c.address],
    volunteers: [{ runtimes: ['lua'] }],
  })
}, 60_000)

afterAll(async () => {
  await Promise.all([a, c, d].map((node) => node?.stop()))
  removeDir(aDir)
})

/** A's view of the peers, once both announced Python. */
async function peersOf(node: MeshNode) {
  return eventually(async () => {
    const peers = (await node.client.get('/api/federation/peers')).body.peers as {
      id: string
      takes_our_work: boolean
      reputation: { agreed: number; disagreed: number }
    }[]
    const ready = [c, d].every((p) => peers.find((q) => q.id === p.peerId)?.takes_our_work)
    return ready ? peers : undefined
  }, 30_000)
}

describe('a redundant job across peers', () => {
  it('sends its copies to two distinct peers and completes on their agreement', async () => {
    await peersOf(a)
    const job = await a.client.post('/api/jobs', {
      job_type: 'python',
      namespace: 'alice',
      code: '6 * 7',
      redundancy: 2,
    })
    expect(job.status).toBe(201)
    const done = await a.client.get(`/api/jobs/${job.body.id}?wait=60`)
    expect(done.body).toMatchObject({
      status: 'completed',
      result: 42,
      quorum: { needed: 2, answers: 2, agreeing: 2 },
    })
    const peers = await peersOf(a)
    for (const peer of [c, d])
      expect(peers.find((p) => p.id === peer.peerId)?.reputation).toMatchObject({
        agreed: 1,
        disagreed: 0,
      })
  }, 90_000)

  it('remembers each peer’s standing across a restart', async () => {
    await a.stop()
    a = await startMeshNode('a', {
      dataDir: aDir,
      bootstrap: [c.address],
      volunteers: [{ runtimes: ['lua'] }],
    })
    const peers = await peersOf(a)
    expect(peers.find((p) => p.id === c.peerId)?.reputation).toMatchObject({ agreed: 1 })
  }, 60_000)
})
