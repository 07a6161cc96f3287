/**
 * What the operator's listings answer: `/api/volunteers` (volunteer-routes.ts), `/api/peers`
 * (peer-routes.ts) and `/api/federation/peers` (federation-routes.ts, federation/peer-view.ts).
 */
import { z } from 'zod'
import { AgentInfo } from '../../../shared/protocol/frames'
import { SystemCapabilities } from '../../../shared/protocol/system-capabilities'

const Reputation = z.strictObject({
  agreed: z.int(),
  disagreed: z.int(),
  score: z.number(),
  trusted: z.boolean(),
})

const State = z.enum(['greeting', 'active', 'draining'])
const Identity = z
  .string()
  .describe('How it proved who it is: internal, runner, token, volunteer, anonymous')

const VolunteerView = z.strictObject({
  id: z.string(),
  state: State,
  agent: AgentInfo.nullable(),
  identity: Identity,
  trusted: z.boolean(),
  secrets: z.boolean(),
  token_id: z.string().optional(),
  runtimes: z.array(z.string()),
  namespaces: z.array(z.string()).nullable(),
  concurrency: z.int(),
  running: z.int(),
  completed: z.int(),
  failed: z.int(),
  reputation: Reputation,
  backoff: z.strictObject({ strikes: z.int(), held_until: z.string().nullable() }),
  connected_at: z.string(),
})

export const VolunteerList = z.strictObject({ volunteers: z.array(VolunteerView), total: z.int() })

const RunnerView = z.strictObject({
  peer_id: z.string().optional(),
  volunteer_id: z.string(),
  name: z.string().nullable(),
  version: z.string().nullable(),
  state: State,
  identity: Identity,
  token_id: z.string().optional(),
  namespaces: z.array(z.string()).nullable(),
  native: z.boolean(),
  runtimes: z.array(z.string()),
  concurrency: z.int(),
  running: z.int(),
  services: z.int(),
  capabilities: SystemCapabilities.optional(),
  connected_at: z.string(),
})

export const RunnerList = z.strictObject({ peers: z.array(RunnerView), total: z.int() })

/** A peer orchestrator as this one knows it; what it announces is shown as it said it. */
const FederationPeer = z.strictObject({
  id: z.string(),
  addresses: z.array(z.string()),
  status: z.string(),
  connected_since: z.string().nullable(),
  last_seen: z.string().nullable(),
  volunteers: z.record(z.string(), z.json()),
  pending_jobs: z.int(),
  load: z.json().nullable(),
  runtimes: z.array(z.string()),
  native: z.array(z.json()),
  takes_our_work: z.boolean(),
  running_ours: z.int(),
  running_theirs: z.int(),
  reputation: Reputation,
})

export const FederationPeers = z.strictObject({
  self: z.string(),
  addresses: z.array(z.string()),
  peers: z.array(FederationPeer),
  total: z.int(),
})

export const PeerDialed = z.strictObject({ id: z.string(), status: z.literal('connected') })
export const PeerBanned = z.strictObject({ id: z.string(), status: z.literal('banned') })
