/** `/api/peers`: the connected runners, with their machines' capabilities. */
import { Hono } from 'hono'
import { requireOperator } from '../auth/access'
import type { Orchestrator } from '../orchestrator'

export function peerRoutes(orchestrator: Orchestrator): Hono {
  const app = new Hono()
  app.get('/', async (c) => {
    await requireOperator(c)
    const services = orchestrator.services.list()
    const peers = orchestrator.runners.runners().map((session) => ({
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
      services: services.filter((s) => s.peer_id === session.peer?.id).length,
      capabilities: session.peer?.system,
      connected_at: new Date(session.connectedAt).toISOString(),
    }))
    return c.json({ peers, total: peers.length })
  })
  return app
}
