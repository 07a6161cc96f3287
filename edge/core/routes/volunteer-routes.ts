/** `/api/volunteers`: who is connected, what each offers, what each is doing. */
import { Hono } from 'hono'
import { requireOperator } from '../auth/access'
import { reputationKey } from '../jobs/reputation'
import type { Orchestrator } from '../orchestrator'

export function volunteerRoutes(orchestrator: Orchestrator): Hono {
  const app = new Hono()
  app.get('/', async (c) => {
    await requireOperator(c)
    const now = Date.now()
    const volunteers = [...orchestrator.hub.connected]
      .filter((s) => s.capabilities)
      .map((s) => ({
        id: s.id,
        state: s.state,
        agent: s.agent ?? null,
        // How it proved who it is, and so whether it may take trusted-only work and full db access.
        identity: s.identity.kind,
        trusted: s.trusted,
        ...(s.identity.tokenId && { token_id: s.identity.tokenId }),
        runtimes: s.capabilities?.runtimes ?? [],
        namespaces: s.capabilities?.namespaces ?? null,
        concurrency: s.capabilities?.concurrency ?? 0,
        running: s.running.size,
        completed: s.completed,
        failed: s.failed,
        reputation: orchestrator.scheduler.reputation.of(reputationKey(s)),
        backoff: orchestrator.hub.backoff.view(s, now),
        connected_at: new Date(s.connectedAt).toISOString(),
      }))
    return c.json({ volunteers, total: volunteers.length })
  })
  return app
}
