/** `/api/volunteers`: who is connected, what each offers, what each is doing. */
import { requireOperator } from '../auth/access'
import { reputationKey } from '../jobs/reputation'
import type { Scheduler } from '../jobs/scheduler'
import { combineList } from '../rooms/combine-answers'
import { everyRoom } from '../rooms/owner'
import type { VolunteerHub } from '../volunteers/volunteer-hub'
import { RouteTable } from './route-table'
import { VolunteerList } from './operator-schemas'

export interface VolunteerRouteDeps {
  hub: Pick<VolunteerHub, 'connected' | 'backoff'>
  standing: Pick<Scheduler, 'reputation'>
}

export const volunteerRoutes = new RouteTable<VolunteerRouteDeps>().get(
  '/api/volunteers',
  {
    owner: everyRoom(combineList('volunteers')),
    doc: {
      summary: 'Connected volunteers (admin)',
      description: 'What each offers (runtimes, slots), what it is doing, and its standing.',
      tag: 'Operators',
      responses: {
        200: { description: 'The volunteers', schema: VolunteerList },
        403: { description: 'FORBIDDEN: not the admin token' },
      },
    },
  },
  async (c, { hub, standing }) => {
    await requireOperator(c)
    const now = Date.now()
    const volunteers = [...hub.connected]
      .filter((s) => s.capabilities)
      .map((s) => ({
        id: s.id,
        state: s.state,
        agent: s.agent ?? null,
        // How it proved who it is, and so whether it may take trusted-only work and full db access.
        identity: s.identity.kind,
        trusted: s.trusted,
        // Whether it may be sent work that declares secrets, and their values.
        secrets: s.secrets,
        ...(s.identity.tokenId && { token_id: s.identity.tokenId }),
        runtimes: s.capabilities?.runtimes ?? [],
        namespaces: s.capabilities?.namespaces ?? null,
        concurrency: s.capabilities?.concurrency ?? 0,
        running: s.running.size,
        completed: s.completed,
        failed: s.failed,
        reputation: standing.reputation.of(reputationKey(s)),
        backoff: hub.backoff.view(s, now),
        connected_at: new Date(s.connectedAt).toISOString(),
      }))
    return c.json({ volunteers, total: volunteers.length })
  },
)
