/**
 * `--forward-after`: work a volunteer here could run, but that has waited here that long, goes to
 * a peer with room; without it, such work waits for the volunteers here.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startMeshNode, type MeshNode } from '../helpers/mesh-cluster'

const nodes: MeshNode[] = []

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
})

/** An origin with one busy js volunteer (no prefetch: a second job waits in the queue) and a peer. */
async function pair(forwardAfterMs?: number) {
  const origin = await startMeshNode('origin', {
    ...(forwardAfterMs !== undefined && { forwardAfterMs }),
    volunteers: [{ runtimes: ['js'], prefetch: 0 }],
  })
  const peer = await startMeshNode('peer', {
    bootstrap: [origin.address],
    volunteers: [{ runtimes: ['js'] }],
  })
  nodes.push(origin, peer)
  await eventually(async () => {
    const peers = (await origin.client.get('/api/federation/peers')).body.peers
    return peers.find((p: { id: string }) => p.id === peer.peerId)?.runtimes.includes('js')
  }, 30_000)
  // Holds the origin's only volunteer until the test lets it go.
  const blocker = await origin.client.post('/api/jobs', {
    job_type: 'js',
    namespace: 'alice',
    // Asks every 20 ms: a tight loop of db calls would trip the socket's message rate limit.
    code: 'while (!db.get("free")) { const t = Date.now(); while (Date.now() - t < 20) {} } "freed"',
  })
  await eventually(
    async () => (await origin.client.get(`/api/jobs/${blocker.body.id}`)).body.status === 'running',
  )
  return { origin, peer, blocker: blocker.body.id as string }
}

describe('--forward-after', () => {
  it('sends work that waited past it to a peer', async () => {
    const { origin, peer, blocker } = await pair(500)
    const job = await origin.client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '"waited"',
    })
    const done = await origin.client.get(`/api/jobs/${job.body.id}?wait=30`)
    expect(done.body).toMatchObject({
      status: 'completed',
      result: 'waited',
      executed_by: { orchestrator: peer.peerId },
    })
    await origin.client.put('/api/db/alice/free', { value: true })
    expect(
      (await origin.client.get(`/api/jobs/${blocker}?wait=30`)).body.executed_by,
    ).toBeUndefined()
  }, 60_000)

  it('without it, keeps such work here', async () => {
    const { origin, blocker } = await pair()
    const job = await origin.client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '"stayed"',
    })
    expect((await origin.client.get(`/api/jobs/${job.body.id}?wait=2`)).body.status).toBe('pending')
    await origin.client.put('/api/db/alice/free', { value: true })
    const done = await origin.client.get(`/api/jobs/${job.body.id}?wait=30`)
    expect(done.body).toMatchObject({ status: 'completed', result: 'stayed' })
    expect(done.body.executed_by).toBeUndefined()
    expect((await origin.client.get(`/api/jobs/${blocker}`)).body.status).toBe('completed')
  }, 60_000)
})
