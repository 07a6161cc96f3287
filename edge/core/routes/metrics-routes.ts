/** `GET /metrics`: the orchestrator's metrics in the Prometheus text format (version 0.0.4). */
import { requireOperator } from '../auth/access'
import { EXPOSITION_CONTENT_TYPE } from '../observability/exposition'
import type { Metrics } from '../observability/metrics'
import { combineMetrics } from '../rooms/combine-answers'
import { everyRoom } from '../rooms/owner'
import { RouteTable } from './route-table'

export interface MetricsRouteDeps {
  metrics: Pick<Metrics, 'render'>
}

export const metricsRoutes = new RouteTable<MetricsRouteDeps>()
  // Operator data: open on loopback like the rest, the admin token's once auth is on.
  .get(
    '/metrics',
    {
      owner: everyRoom(combineMetrics),
      doc: {
        summary: 'Metrics in the Prometheus text format (admin)',
        tag: 'Operators',
        responses: {
          200: { description: 'Prometheus exposition format 0.0.4', contentType: 'text/plain' },
          401: { description: 'AUTH_REQUIRED: auth is on and no token was sent' },
          403: { description: 'FORBIDDEN: not the admin token' },
        },
      },
    },
    async (c, { metrics }) => {
      await requireOperator(c)
      return c.body(metrics.render(), 200, {
        'content-type': EXPOSITION_CONTENT_TYPE,
        'cache-control': 'no-store',
      })
    },
  )
