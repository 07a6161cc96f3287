/**
 * Every route table of the API (routes/api-routes.ts mounts them), in the order Hono tries them:
 * what the document is built from. The coverage test (openapi/document-coverage.test.ts) checks
 * this list against the routes an app really has, so a table left out here is caught.
 */
import { consolePageRoutes } from '../routes/console-page-routes'
import { cronRoutes } from '../routes/cron-routes'
import { dbRoutes } from '../routes/db-routes'
import { deployRoutes } from '../routes/deploy-routes'
import { federationRoutes } from '../routes/federation-routes'
import { functionRoutes } from '../routes/function-routes'
import { gitopsRoutes } from '../routes/gitops-routes'
import { healthRoutes } from '../routes/health-routes'
import { jobOutputRoutes } from '../routes/job-output-routes'
import { jobRoutes } from '../routes/job-routes'
import { metricsRoutes } from '../routes/metrics-routes'
import { openApiRoutes } from '../routes/openapi-routes'
import { peerRoutes } from '../routes/peer-routes'
import type { DescribedRoute } from '../routes/route-table'
import { secretRoutes } from '../routes/secret-routes'
import { serviceRoutes } from '../routes/service-routes'
import { socketRoutes } from '../routes/socket-routes'
import { staticRoutes, storageRoutes } from '../routes/storage-routes'
import { tokenRoutes } from '../routes/token-routes'
import { volunteerPageRoutes } from '../routes/volunteer-page-routes'
import { volunteerRoutes } from '../routes/volunteer-routes'
import { wasmRoutes } from '../routes/wasm-routes'
import { workflowRoutes } from '../routes/workflow-routes'

/** The tables by the name of their file, in mounting order. */
export const API_TABLES = {
  'health-routes': healthRoutes,
  'metrics-routes': metricsRoutes,
  'token-routes': tokenRoutes,
  'job-routes': jobRoutes,
  'wasm-routes': wasmRoutes,
  'volunteer-routes': volunteerRoutes,
  'db-routes': dbRoutes,
  'secret-routes': secretRoutes,
  'deploy-routes': deployRoutes,
  'service-routes': serviceRoutes,
  'workflow-routes': workflowRoutes,
  'gitops-routes': gitopsRoutes,
  'cron-routes': cronRoutes,
  'peer-routes': peerRoutes,
  'federation-routes': federationRoutes,
  'job-output-routes': jobOutputRoutes,
  'storage-routes': storageRoutes,
  'static-routes': staticRoutes,
  'volunteer-page-routes': volunteerPageRoutes,
  'console-page-routes': consolePageRoutes,
  'openapi-routes': openApiRoutes,
  'socket-routes': socketRoutes,
  'function-routes': functionRoutes,
} as const

/** Every declared route of every table. */
export function apiRoutes(): DescribedRoute[] {
  return Object.values(API_TABLES).flatMap((table) => table.described())
}
