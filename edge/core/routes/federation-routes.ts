/**
 * `/api/federation/peers`: the orchestrators this one meshes with (the admin's): list them, dial
 * one by multiaddr, drop and ban one. The Workers host stays out of the mesh: 404 there.
 */
import { z } from 'zod'
import { PeerId } from '../../../shared/protocol/federation'
import { requireOperator } from '../auth/access'
import type { Federation } from '../federation/federation'
import { HttpError } from '../http-error'
import { HOME } from '../rooms/owner'
import { parseBody } from './request-body'
import { RouteTable } from './route-table'
import { FederationPeers, PeerBanned, PeerDialed } from './operator-schemas'

export interface FederationRouteDeps {
  federation: Federation | undefined
}

const DialBody = z.strictObject({
  address: z
    .string()
    .max(1024)
    .regex(/\/p2p\/[A-Za-z0-9]+$/, 'must be a multiaddr ending in /p2p/{peer id}'),
})

function meshOf(federation: Federation | undefined): Federation {
  if (!federation?.self)
    throw new HttpError(
      404,
      'FEDERATION_OFF',
      'this orchestrator is not in a mesh: start it with --p2p-port or --bootstrap (the Workers host stays out of the mesh)',
    )
  return federation
}

export const federationRoutes = new RouteTable<FederationRouteDeps>()
  .get(
    '/api/federation/peers',
    {
      owner: HOME,
      doc: {
        summary: 'Peer orchestrators in the mesh (admin)',
        tag: 'Federation',
        responses: {
          200: { description: 'This node and its peers', schema: FederationPeers },
          403: { description: 'FORBIDDEN: not the admin token' },
          404: { description: 'FEDERATION_OFF: this orchestrator is not in a mesh' },
        },
      },
    },
    async (c, { federation }) => {
      await requireOperator(c)
      const mesh = meshOf(federation)
      const peers = mesh.peers()
      return c.json({ self: mesh.self, addresses: mesh.addresses(), peers, total: peers.length })
    },
  )
  .post(
    '/api/federation/peers',
    {
      owner: HOME,
      doc: {
        summary: 'Dial a peer orchestrator by multiaddr (admin)',
        tag: 'Federation',
        body: DialBody,
        responses: {
          201: { description: 'Connected', schema: PeerDialed },
          400: { description: 'INVALID_REQUEST: not a multiaddr ending in /p2p/{peer id}' },
          403: { description: 'FORBIDDEN: not the admin token' },
          404: { description: 'FEDERATION_OFF: this orchestrator is not in a mesh' },
          502: { description: 'PEER_UNREACHABLE' },
        },
      },
    },
    async (c, { federation }) => {
      await requireOperator(c)
      const mesh = meshOf(federation)
      const { address } = await parseBody(c, DialBody)
      let id: string
      try {
        id = await mesh.dial(address)
      } catch (err) {
        throw new HttpError(
          502,
          'PEER_UNREACHABLE',
          `could not connect to ${address}: ${(err as Error).message}`,
        )
      }
      return c.json({ id, status: 'connected' }, 201)
    },
  )
  .delete(
    '/api/federation/peers/:id',
    {
      owner: HOME,
      doc: {
        summary: 'Drop and ban a peer orchestrator (admin)',
        tag: 'Federation',
        params: { id: "The peer's libp2p id" },
        responses: {
          200: { description: 'Banned', schema: PeerBanned },
          400: { description: 'INVALID_PEER_ID' },
          403: { description: 'FORBIDDEN: not the admin token' },
          404: { description: 'FEDERATION_OFF: this orchestrator is not in a mesh' },
        },
      },
    },
    async (c, { federation }) => {
      await requireOperator(c)
      const mesh = meshOf(federation)
      const id = c.req.param('id')
      if (!PeerId.safeParse(id).success)
        throw new HttpError(400, 'INVALID_PEER_ID', 'the peer id must be a libp2p peer id')
      await mesh.ban(id)
      return c.json({ id, status: 'banned' })
    },
  )
