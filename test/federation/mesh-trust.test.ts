/**
 * Who may join and who may trade work: an allow list names the peers that may send work here and
 * take ours (everyone else gets a clear refusal), and a swarm key keeps nodes without it out of
 * the mesh altogether.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSwarmKey } from '../../edge/node/federation/swarm-key'
import { api } from '../helpers/api'
import { removeDir } from '../helpers/temp-dir'
import { startZerverless } from '../helpers/zerverless-process'
import { eventually } from '../helpers/eventually'
import { offerFrame, startBareMesh, startMeshNode, type MeshNode } from '../helpers/mesh-cluster'

const nodes: MeshNode[] = []
const start = async (...args: Parameters<typeof startMeshNode>) => {
  const node = await startMeshNode(...args)
  nodes.push(node)
  return node
}

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
})

describe('an allow list', () => {
  let a: MeshNode
  let friend: MeshNode
  let picky: MeshNode

  beforeAll(async () => {
    a = await start('a', { volunteers: [{ runtimes: ['lua'] }] })
    friend = await start('friend', { bootstrap: [a.address] })
    // Picky takes work only from (and gives work only to) `friend`; it runs Python.
    picky = await start('picky', {
      bootstrap: [a.address],
      allow: [friend.peerId],
      volunteers: [{ runtimes: ['python'] }],
    })
  }, 60_000)

  it('keeps our work away from a peer that does not list us', async () => {
    const seen = await eventually(async () => {
      const peers = (await a.client.get('/api/federation/peers')).body.peers
      const found = peers.find((p: { id: string }) => p.id === picky.peerId)
      if (!found?.runtimes.length) return undefined
      return found
    }, 30_000)
    expect(seen.takes_our_work).toBe(false)
    const job = await a.client.post('/api/jobs', {
      job_type: 'python',
      namespace: 'alice',
      code: '1',
    })
    const after = await a.client.get(`/api/jobs/${job.body.id}?wait=2`)
    expect(after.body).toMatchObject({ status: 'pending', volunteer_id: null })
    await a.client.delete(`/api/jobs/${job.body.id}`)
  }, 60_000)

  it('refuses an offer from a peer it does not list, and says why', async () => {
    const { mesh: stranger, stop } = await startBareMesh([picky.address])
    await eventually(() => stranger.connected().some((p) => p.peer === picky.peerId), 30_000)
    const stream = await stranger.open(picky.peerId)
    stream.send(offerFrame('1', 'not-welcome'))
    const got: unknown[] = []
    for await (const frame of stream.frames()) got.push(frame)
    await stop()
    expect(got).toEqual([
      expect.objectContaining({ type: 'refused', code: 'NOT_ALLOWED', job_id: 'not-welcome' }),
    ])
  }, 30_000)
})

describe('the embedded default', () => {
  it('opens no P2P port without --p2p-port or --bootstrap', async () => {
    const plain = await startZerverless(['--workers', '0'])
    try {
      const client = api(plain.url)
      expect((await client.get('/info')).body.peer_id).toBeUndefined()
      const peers = await client.get('/api/federation/peers')
      expect(peers.status).toBe(404)
      expect(peers.body.code).toBe('FEDERATION_OFF')
      expect(plain.output()).not.toContain('joined the mesh')
    } finally {
      await plain.stop()
      removeDir(plain.dataDir)
    }
  })
})

describe('the peers API with auth on', () => {
  it('is the admin’s alone', async () => {
    const admin = 'zv-mesh-admin-token-0123456789abcdef'
    const guarded = await startZerverless(
      ['--auth', 'on', '--workers', '0', '--p2p-port', '0'],
      undefined,
      { ZERVERLESS_ADMIN_TOKEN: admin },
    )
    try {
      const as =
        (token?: string) =>
        (path: string, init: RequestInit = {}) =>
          fetch(guarded.url + path, {
            ...init,
            headers: {
              ...(token && { authorization: `Bearer ${token}` }),
              'content-type': 'application/json',
            },
          })
      const issued = await api(as(admin)).post('/api/tokens', {
        name: 'alice',
        namespaces: ['alice'],
        rights: ['jobs'],
      })
      expect(issued.status).toBe(201)
      const anonymous = api(as())
      const alice = api(as(issued.body.token))
      expect((await anonymous.get('/api/federation/peers')).status).toBe(401)
      expect((await alice.get('/api/federation/peers')).status).toBe(403)
      expect(
        (
          await alice.post('/api/federation/peers', {
            address: '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWA',
          })
        ).status,
      ).toBe(403)
      expect(
        (await alice.delete('/api/federation/peers/12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))
          .status,
      ).toBe(403)
      const listed = await api(as(admin)).get('/api/federation/peers')
      expect(listed.status).toBe(200)
      expect(listed.body).toMatchObject({ peers: [], total: 0 })
    } finally {
      await guarded.stop()
      removeDir(guarded.dataDir)
    }
  }, 30_000)
})

describe('a swarm key', () => {
  it('lets in only nodes that hold it', async () => {
    const key = generateSwarmKey()
    const keeper = await start('keeper', { swarmKey: key })
    const member = await start('member', { swarmKey: key, bootstrap: [keeper.address] })
    const outsider = await start('outsider', { swarmKey: generateSwarmKey() })
    const stranger = await start('stranger')
    await eventually(async () => {
      const peers = (await keeper.client.get('/api/federation/peers')).body.peers
      return peers.some(
        (p: { id: string; status: string }) => p.id === member.peerId && p.status === 'connected',
      )
    }, 30_000)
    for (const node of [outsider, stranger]) {
      const res = await node.client.post('/api/federation/peers', { address: keeper.address })
      expect(res.status, node.name).toBe(502)
      expect(res.body.code).toBe('PEER_UNREACHABLE')
    }
    const peers = (await keeper.client.get('/api/federation/peers')).body.peers
    expect(peers.map((p: { id: string }) => p.id)).toEqual([member.peerId])
  }, 90_000)
})
