/** `/health`, `/info`, `/stats`: the seed README's first three calls. */
import type { JobStatus } from '../../../shared/protocol/job'
import { PROTOCOL_VERSION } from '../../../shared/protocol/frames'
import type { VolunteerCounts } from '../observability/metrics'
import { combineInfo, combineStats } from '../rooms/combine-answers'
import { everyRoom, HOME } from '../rooms/owner'
import { HealthAnswer, InfoAnswer, StatsAnswer } from './health-schemas'
import { RouteTable } from './route-table'

export interface HealthRouteDeps {
  nodeId: string
  version: string
  /** Which host serves the API. */
  host: string
  uptimeSeconds: () => number
  volunteers: () => VolunteerCounts
  jobs: () => Record<JobStatus, number>
  /** This orchestrator in the mesh: its peer id and P2P addresses, when it joined one. */
  mesh?: () => { peer_id: string; p2p_addresses: string[] } | undefined
}

export const healthRoutes = new RouteTable<HealthRouteDeps>()
  .get(
    '/health',
    {
      owner: HOME,
      doc: {
        summary: 'Is the orchestrator up',
        tag: 'Health',
        access: 'open',
        responses: { 200: { description: 'Healthy', schema: HealthAnswer } },
      },
    },
    (c) => c.json({ status: 'healthy' }),
  )
  .get(
    '/info',
    {
      owner: everyRoom(combineInfo),
      doc: {
        summary: 'Node, version, protocol and the runtimes volunteers offer',
        tag: 'Health',
        access: 'open',
        responses: { 200: { description: 'About this orchestrator', schema: InfoAnswer } },
      },
    },
    (c, deps) =>
      c.json({
        node_id: deps.nodeId,
        version: deps.version,
        host: deps.host,
        protocol_version: PROTOCOL_VERSION,
        uptime_seconds: deps.uptimeSeconds(),
        runtimes: deps.volunteers().runtimes,
        ...deps.mesh?.(),
      }),
  )
  .get(
    '/stats',
    {
      owner: everyRoom(combineStats),
      doc: {
        summary: 'Volunteers connected and jobs by status',
        tag: 'Health',
        access: 'open',
        responses: { 200: { description: 'Counts', schema: StatsAnswer } },
      },
    },
    (c, deps) =>
      c.json({
        node_id: deps.nodeId,
        uptime_seconds: deps.uptimeSeconds(),
        volunteers: deps.volunteers(),
        jobs: deps.jobs(),
      }),
  )
