/**
 * The shapes of the JSON the GitOps API answers with (an application as `view` in
 * gitops-service.ts shows it, a sync's outcome), for the OpenAPI document and its tests.
 */
import { z } from 'zod'

const iso = z.iso.datetime()
const phase = z.enum(['Synced', 'OutOfSync', 'Failed'])
const kind = z.enum(['function', 'static', 'workflow', 'cron'])

const SyncErrorSchema = z.strictObject({
  message: z.string(),
  file: z.string().optional().describe('the repository file at fault'),
  field: z.string().optional(),
  line: z.int().optional(),
})

/** What a sync did, or would do in a dry run. */
export const SyncOutcomeSchema = z.strictObject({
  commit: z.string().nullable(),
  phase,
  changes: z.array(
    z.strictObject({
      kind,
      name: z.string(),
      action: z.enum(['create', 'update', 'delete', 'orphaned']),
      namespace: z.string(),
    }),
  ),
  error: SyncErrorSchema.nullable(),
  dryRun: z.boolean(),
})

/** An application: never a credential or the webhook secret. */
export const ApplicationViewSchema = z.strictObject({
  name: z.string(),
  namespace: z.string(),
  source: z.strictObject({ repoURL: z.string(), branch: z.string(), subdir: z.string() }),
  syncPolicy: z.strictObject({
    intervalSeconds: z.int(),
    prune: z.boolean(),
    selfHeal: z.boolean(),
  }),
  auth: z.enum(['set', 'none']).describe('whether repository credentials are kept (sealed)'),
  webhook: z.boolean().describe('whether a webhook secret is set (the webhook is on)'),
  deploysTo: z.string().describe("the namespace it deploys to (the manifest's)"),
  revision: z.string().nullable().describe('a pinned commit (a rollback); null follows the branch'),
  commit: z.string().nullable().describe('the commit last synced'),
  lastSync: iso.nullable(),
  phase,
  resources: z.array(z.strictObject({ kind, name: z.string(), version: z.int().optional() })),
  error: SyncErrorSchema.nullable(),
  createdAt: iso,
})

/** An application with the outcome of the sync just made. */
export const SyncedApplicationSchema = ApplicationViewSchema.extend({ sync: SyncOutcomeSchema })

/** `GET /api/gitops/applications`. */
export const ApplicationListSchema = z.strictObject({
  applications: z.array(ApplicationViewSchema),
  total: z.int().min(0),
})

/** `DELETE /api/gitops/applications/{name}`. */
export const ApplicationDeleted = z.strictObject({
  deleted: z.string(),
  namespace: z.string(),
  pruned: z.array(z.string()).describe('`kind:name` of each resource removed with `?prune=true`'),
})
