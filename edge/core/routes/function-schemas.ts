/** What `/api/deploy` (deploy-routes.ts) and `/api/wasm` (wasm-routes.ts) answer, as zod schemas. */
import { z } from 'zod'
import { Runtime } from '../../../shared/protocol/job'
import { ExecutorField } from '../jobs/executor-policy'
import { DbAccessView } from './job-view-schema'

export const DeploymentView = z
  .strictObject({
    user: z.string(),
    path: z.string(),
    url: z.string().describe('Where it answers: /{user}/{path}'),
    runtime: Runtime,
    version: z.int(),
    code: z.string().optional(),
    wasm_cid: z.string().optional(),
    timeout_seconds: z.number(),
    executor: ExecutorField,
    untrusted_db: DbAccessView,
    secrets: z.array(z.string()).optional(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Deployment' })

export const DeploymentList = z.strictObject({
  deployments: z.array(DeploymentView),
  total: z.int(),
})

const VersionView = z.strictObject({ version: z.int(), runtime: Runtime, created_at: z.string() })

/** A function with the versions kept, newest first. */
const DeploymentDetail = DeploymentView.extend({ versions: z.array(VersionView) })

const FunctionLogs = z.strictObject({
  lines: z.array(z.strictObject({ time: z.string(), line: z.string() })),
  count: z.int(),
  invocations: z.array(
    z.strictObject({
      time: z.string(),
      status: z.int(),
      duration_ms: z.number(),
      version: z.int(),
      error: z
        .strictObject({ code: z.string(), message: z.string(), line: z.int().optional() })
        .optional(),
    }),
  ),
})

/** GET on a function's path: the function, or (`…/logs`) its logs. */
export const DeploymentOrLogs = z.union([DeploymentDetail, FunctionLogs])

export const ModuleStored = z.strictObject({
  cid: z.string().describe('The content id to name it by (wasm_cid)'),
  size: z.int(),
  created: z.boolean().describe('false: the same module was stored already'),
})
