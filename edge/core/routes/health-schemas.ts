/** What `/health`, `/info` and `/stats` answer (health-routes.ts), as zod schemas. */
import { z } from 'zod'

export const HealthAnswer = z.strictObject({ status: z.literal('healthy') })

const RuntimeCounts = z
  .record(z.string(), z.int())
  .describe('Volunteer slots on offer per runtime (js, lua, python, wasm, native)')

export const InfoAnswer = z.strictObject({
  node_id: z.string(),
  version: z.string(),
  host: z.enum(['node', 'workers']),
  protocol_version: z.int(),
  uptime_seconds: z.number(),
  runtimes: RuntimeCounts,
  /** In a mesh: this orchestrator's peer id and P2P addresses. */
  peer_id: z.string().optional(),
  p2p_addresses: z.array(z.string()).optional(),
})

const VolunteerCountsView = z.strictObject({
  connected: z.int(),
  idle: z.int(),
  busy: z.int(),
  draining: z.int(),
  slots: z.strictObject({ total: z.int(), busy: z.int() }),
  runtimes: RuntimeCounts,
})

export const StatsAnswer = z.strictObject({
  node_id: z.string(),
  uptime_seconds: z.number(),
  volunteers: VolunteerCountsView,
  jobs: z.record(z.string(), z.int()).describe('Jobs per status'),
  /** On the edge host: how many job rooms answered. */
  rooms: z.int().optional(),
})
