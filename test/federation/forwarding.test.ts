/**
 * Three real orchestrators meshed over libp2p on 127.0.0.1: A runs only Lua, C runs Python, B
 * runs nothing and is the only peer A and C were told of. Work A cannot run goes to C, found
 * through the DHT, and its guest's database is A's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startMeshNode, type MeshNode } from '../helpers/mesh-cluster'
import { wasmFixture } from '../helpers/wasm-fixtures'

let a: MeshNode
let b: MeshNode
let c: MeshNode

beforeAll(async () => {
  b = await startMeshNode('b')
  a = await startMeshNode('a', { bootstrap: [b.address], volunteers: [{ runtimes: ['lua'] }] })
  c = await startMeshNode('c', {
    bootstrap: [b.address],
    volunteers: [{ runtimes: ['python', 'js', 'wasm'], concurrency: 2 }],
  })
}, 60_000)

afterAll(async () => {
  await Promise.all([a, b, c].map((node) => node?.stop()))
})

/** Waits until `node` lists `peer` as connected, with its announcement in. */
async function knows(node: MeshNode, peer: MeshNode) {
  return eventually(async () => {
    const res = await node.client.get('/api/federation/peers')
    const found = res.body.peers.find((p: { id: string }) => p.id === peer.peerId)
    if (found?.status !== 'connected' || found.runtimes.length === 0) return undefined
    return found
  }, 30_000)
}

describe('a job nobody here can run', () => {
  it('runs on a peer found through the DHT and reads and writes the origin’s database', async () => {
    // A was told only of B; C it must find.
    const seen = await knows(a, c)
    expect(seen).toMatchObject({
      runtimes: expect.arrayContaining(['python']),
      takes_our_work: true,
    })

    await a.client.put('/api/db/alice/greeting', { value: 'hello' })
    const submitted = await a.client.post('/api/jobs', {
      job_type: 'python',
      namespace: 'alice',
      code: 'g = db.get("greeting")\ndb.set("answer", g + " from python")\nlen(g)',
    })
    expect(submitted.status).toBe(201)
    const done = await a.client.get(`/api/jobs/${submitted.body.id}?wait=60`)
    expect(done.body).toMatchObject({
      status: 'completed',
      result: 5,
      namespace: 'alice',
      executed_by: { orchestrator: c.peerId },
    })
    expect((await a.client.get('/api/db/alice/answer')).body.value).toBe('hello from python')
    // The data stayed at the origin: C keeps none of alice's keys.
    expect((await c.client.get('/api/db/alice/answer')).status).toBe(404)
  }, 90_000)

  it('takes its WebAssembly module along, by content id, checked at the peer', async () => {
    await knows(a, c)
    const upload = await fetch(`${a.server.url}/api/wasm`, {
      method: 'POST',
      headers: { 'content-type': 'application/wasm' },
      body: (await wasmFixture('args')) as Uint8Array<ArrayBuffer>,
    })
    const { cid } = (await upload.json()) as { cid: string }
    const job = await a.client.post('/api/jobs', {
      job_type: 'wasm',
      namespace: 'alice',
      wasm_cid: cid,
      args: ['-v'],
      env: { LEVEL: '3' },
    })
    const done = await a.client.get(`/api/jobs/${job.body.id}?wait=60`)
    expect(done.body).toMatchObject({
      status: 'completed',
      output: 'job.wasm\0-v\0LEVEL=3\0',
      executed_by: { orchestrator: c.peerId },
    })
    // C keeps the module under the same id it was asked for.
    expect((await fetch(`${c.server.url}/api/wasm/${cid}`)).status).toBe(200)
  }, 60_000)

  it('stays here when it must run on a trusted executor, and runs here when a volunteer can', async () => {
    await knows(a, c)
    const trusted = await a.client.post('/api/jobs', {
      job_type: 'js',
      namespace: 'alice',
      code: '1 + 1',
      executor: 'trusted',
    })
    const lua = await a.client.post('/api/jobs', {
      job_type: 'lua',
      namespace: 'alice',
      code: 'return 7',
    })
    const ran = await a.client.get(`/api/jobs/${lua.body.id}?wait=30`)
    expect(ran.body.status).toBe('completed')
    expect(ran.body.executed_by).toBeUndefined()
    const waiting = await a.client.get(`/api/jobs/${trusted.body.id}`)
    expect(waiting.body).toMatchObject({ status: 'pending', volunteer_id: null })
    await a.client.delete(`/api/jobs/${trusted.body.id}`)
  }, 60_000)

  it('shows up at the peer only under the origin’s own namespace there', async () => {
    const res = await c.client.get(`/api/jobs?namespace=p2p-${a.peerId}`)
    expect(res.body.jobs.length).toBeGreaterThan(0)
    expect((await c.client.get('/api/jobs?namespace=alice')).body.jobs).toEqual([])
  })
})

describe('a workflow', () => {
  it('runs its steps on two orchestrators: Lua here, Python on the peer', async () => {
    await knows(a, c)
    const made = await a.client.post('/api/workflows', {
      name: 'two-homes',
      namespace: 'alice',
      steps: [
        { id: 'six', run: { runtime: 'lua', code: 'return 6' } },
        {
          id: 'times',
          run: { runtime: 'python', code: 'INPUT["value"] * 7' },
          input: '${steps.six.result}',
        },
      ],
    })
    expect(made.status).toBe(201)
    const run = await a.client.post(`/api/workflows/${made.body.id}/runs`, {})
    const done = await a.client.get(`/api/workflow-runs/${run.body.id}?wait=60`)
    expect(done.body.status).toBe('completed')
    const [six, times] = done.body.steps
    expect(times.result).toBe(42)
    const where = async (id: string) => (await a.client.get(`/api/jobs/${id}`)).body.executed_by
    expect(await where(six.job_ids[0])).toBeUndefined()
    expect(await where(times.job_ids[0])).toMatchObject({ orchestrator: c.peerId })
  }, 90_000)
})

describe('the mesh as the API shows it', () => {
  it('GET /info names the peer id and the addresses to dial', async () => {
    const info = await a.client.get('/info')
    expect(info.body.peer_id).toBe(a.peerId)
    expect(info.body.p2p_addresses).toContain(a.address)
  })

  it('lists peers with their volunteers, load and runtimes', async () => {
    const peer = await knows(c, a)
    expect(peer).toMatchObject({
      id: a.peerId,
      status: 'connected',
      volunteers: { connected: 1 },
      runtimes: ['lua'],
      reputation: { agreed: 0, disagreed: 0 },
    })
    expect(typeof peer.connected_since).toBe('string')
  })

  it('refuses a dial to something that is not a multiaddr with a peer id', async () => {
    const res = await a.client.post('/api/federation/peers', { address: 'not an address' })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('INVALID_REQUEST')
  })
})
