/**
 * The federation routes' answers against the OpenAPI document: two real orchestrators in a
 * libp2p mesh on loopback, one dialling, listing and banning the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { startMeshNode, type MeshNode } from '../helpers/mesh-cluster'
import { expectMatchesDocument } from '../helpers/openapi-match'

let a: MeshNode
let b: MeshNode

beforeAll(async () => {
  a = await startMeshNode('oapi-a')
  b = await startMeshNode('oapi-b')
})

afterAll(async () => {
  await b?.stop()
  await a?.stop()
})

describe('federation answers match the OpenAPI document', () => {
  it('info in a mesh, dial, list and ban a peer', async () => {
    const info = await b.client.get('/info')
    expect(info.body.peer_id).toBe(b.peerId)
    expectMatchesDocument(info, 'GET', '/info')

    const dialed = await b.client.post('/api/federation/peers', { address: a.address })
    expect(dialed.status).toBe(201)
    expectMatchesDocument(dialed, 'POST', '/api/federation/peers')
    const bad = await b.client.post('/api/federation/peers', { address: 'nowhere' })
    expect(bad.status).toBe(400)
    expectMatchesDocument(bad, 'POST', '/api/federation/peers')

    const listed = await eventually(async () => {
      const res = await b.client.get('/api/federation/peers')
      return res.body.peers?.some((p: { id: string }) => p.id === a.peerId) ? res : undefined
    }, 20_000)
    expectMatchesDocument(listed, 'GET', '/api/federation/peers')

    const banned = await b.client.delete(`/api/federation/peers/${a.peerId}`)
    expect(banned.body).toMatchObject({ id: a.peerId, status: 'banned' })
    expectMatchesDocument(banned, 'DELETE', '/api/federation/peers/{id}')
  })
})
