/** `GET /metrics`: the orchestrator's metrics in the Prometheus text format (version 0.0.4). */
import { Hono } from 'hono'
import { requireOperator } from '../auth/access'
import { EXPOSITION_CONTENT_TYPE } from '../observability/exposition'
import type { Metrics } from '../observability/metrics'

export function metricsRoutes(metrics: Metrics): Hono {
  const app = new Hono()
  // Operator data: open on loopback like the rest, the admin token's once auth is on.
  app.get('/metrics', async (c) => {
    await requireOperator(c)
    return c.body(metrics.render(), 200, {
      'content-type': EXPOSITION_CONTENT_TYPE,
      'cache-control': 'no-store',
    })
  })
  return app
}
