/** `/health`, `/info`, `/stats`: the seed README's first three calls. */
import { Hono } from 'hono'
import { PROTOCOL_VERSION } from '../../../shared/protocol/frames'
import type { Orchestrator } from '../orchestrator'

export function healthRoutes(orchestrator: Orchestrator, host: string): Hono {
  const app = new Hono()
  const { config } = orchestrator

  app.get('/health', (c) => c.json({ status: 'healthy' }))

  app.get('/info', (c) => {
    const volunteers = orchestrator.volunteerStats()
    return c.json({
      node_id: config.nodeId,
      version: config.version,
      host,
      protocol_version: PROTOCOL_VERSION,
      uptime_seconds: orchestrator.uptimeSeconds(),
      runtimes: volunteers.runtimes,
    })
  })

  app.get('/stats', (c) =>
    c.json({
      node_id: config.nodeId,
      uptime_seconds: orchestrator.uptimeSeconds(),
      volunteers: orchestrator.volunteerStats(),
      jobs: orchestrator.scheduler.statusCounts(),
    }),
  )

  return app
}
