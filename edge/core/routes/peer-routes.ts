/** `/api/peers`: the connected runners, with their machines' capabilities. */
import { requireOperator } from '../auth/access'
import { HOME } from '../rooms/owner'
import type { RunnerDirectory } from '../services/runner-directory'
import type { StandaloneServices } from '../services/standalone-services'
import { RouteTable } from './route-table'
import { RunnerList } from './operator-schemas'

export interface PeerRouteDeps {
  services: Pick<StandaloneServices, 'list'>
  runners: Pick<RunnerDirectory, 'runners'>
}

/** Runners connect to the home room, where the services they run live. */
export const peerRoutes = new RouteTable<PeerRouteDeps>().get(
  '/api/peers',
  {
    owner: HOME,
    doc: {
      summary: 'Connected runners (admin)',
      description: "Native peers (zerverless-runner) with their machines' capabilities.",
      tag: 'Operators',
      responses: {
        200: { description: 'The runners', schema: RunnerList },
        403: { description: 'FORBIDDEN: not the admin token' },
      },
    },
  },
  async (c, { services, runners }) => {
    await requireOperator(c)
    const listed = services.list()
    const peers = runners.runners().map((session) => ({
      peer_id: session.peer?.id,
      volunteer_id: session.id,
      name: session.agent?.name ?? null,
      version: session.agent?.version ?? null,
      state: session.state,
      identity: session.identity.kind,
      ...(session.identity.tokenId && { token_id: session.identity.tokenId }),
      namespaces: session.capabilities?.namespaces ?? null,
      native: session.peer?.native ?? false,
      runtimes: session.capabilities?.runtimes ?? [],
      concurrency: session.capabilities?.concurrency ?? 0,
      running: session.running.size,
      services: listed.filter((s) => s.peer_id === session.peer?.id).length,
      capabilities: session.peer?.system,
      connected_at: new Date(session.connectedAt).toISOString(),
    }))
    return c.json({ peers, total: peers.length })
  },
)
