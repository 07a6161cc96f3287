/**
 * `/api/gitops`: GitOps applications (register and sync, list, show, sync now, delete, the push
 * webhook) and the manifest's JSON Schema. Applications live in the home room; the caller needs
 * 'deploy' on the application's namespace (`?namespace=`, `default` when absent).
 */
import type { Context } from 'hono'
import { callerAccepted, principalOf, requireAnyRight, requireRight } from '../auth/access'
import { can, isOperator } from '../auth/principal'
import type { OrchestratorConfig } from '../config'
import type { GitopsService } from '../gitops/gitops-service'
import { AppQuery, DeleteQuery, ListQuery, Registration, SyncQuery } from '../gitops/gitops-schemas'
import { manifestJsonSchema } from '../gitops/manifest'
import { HttpError } from '../http-error'
import { HOME } from '../rooms/owner'
import { parseBody, parseQuery, readBytes } from './request-body'
import type { RouteDoc } from './route-doc'
import { gitopsDocs as docs } from './gitops-docs'
import { RouteTable } from './route-table'

export interface GitopsRouteDeps {
  config: OrchestratorConfig
  gitops: GitopsService
}

const home = { owner: HOME }
const doc = (d: RouteDoc) => ({ ...home, doc: d })

/** Whether the caller may deploy to a namespace a manifest names. */
async function deployRights(c: Context) {
  const principal = await principalOf(c)
  return (namespace: string) => can(principal, 'deploy', namespace)
}

const schemas = new WeakMap<OrchestratorConfig, Record<string, unknown>>()

export const gitopsRoutes = new RouteTable<GitopsRouteDeps>()
  .get('/api/gitops/schema', doc(docs.schema), (c, { config }) => {
    let schema = schemas.get(config)
    if (!schema) schemas.set(config, (schema = manifestJsonSchema(config)))
    return c.json(schema)
  })
  .post('/api/gitops/applications', doc(docs.register), async (c, { gitops }) => {
    await requireAnyRight(c, 'deploy')
    const body = await parseBody(c, Registration)
    const principal = await requireRight(c, 'deploy', body.namespace)
    const { app, sync } = await gitops.register(body, {
      local: isOperator(principal),
      mayDeployTo: await deployRights(c),
    })
    return c.json({ ...app, sync }, 201)
  })
  .get('/api/gitops/applications', doc(docs.list), async (c, { gitops }) => {
    const { namespace } = parseQuery(c, ListQuery)
    if (namespace === undefined && !isOperator(await principalOf(c)))
      throw new HttpError(
        403,
        'FORBIDDEN',
        'list the applications of a namespace your token covers: add ?namespace=',
        { field: 'namespace' },
      )
    if (namespace !== undefined) await requireRight(c, 'deploy', namespace)
    const applications = gitops.list(namespace)
    return c.json({ applications, total: applications.length })
  })
  .get('/api/gitops/applications/:name', doc(docs.get), async (c, { gitops }) => {
    const { namespace } = parseQuery(c, AppQuery)
    await requireRight(c, 'deploy', namespace)
    return c.json(gitops.get(namespace, c.req.param('name')))
  })
  .post('/api/gitops/applications/:name/sync', doc(docs.sync), async (c, { gitops }) => {
    const query = parseQuery(c, SyncQuery)
    await requireRight(c, 'deploy', query.namespace)
    const { app, sync } = await gitops.sync(query.namespace, c.req.param('name'), {
      dryRun: query.dryRun ?? false,
      // A sync without a revision follows the branch again (it ends a rollback's pin).
      revision: query.revision ?? null,
      mayDeployTo: await deployRights(c),
    })
    return c.json(sync.dryRun ? { ...sync, phase: app.phase } : { ...app, sync })
  })
  .delete('/api/gitops/applications/:name', doc(docs.delete), async (c, { gitops }) => {
    const { namespace, prune } = parseQuery(c, DeleteQuery)
    await requireRight(c, 'deploy', namespace)
    const removed = await gitops.remove(namespace, c.req.param('name'), prune ?? false)
    return c.json({ deleted: c.req.param('name'), namespace, pruned: removed })
  })
  // A push from the forge: its signature is the credential (no token; see webhook-signature.ts).
  .post(
    '/api/gitops/applications/:name/webhook',
    { ...doc(docs.webhook), ownCredential: true },
    async (c, { gitops }) => {
      const { namespace } = parseQuery(c, AppQuery)
      callerAccepted(c)
      const body = new Uint8Array(await readBytes(c))
      const { app, sync } = await gitops.webhook(
        namespace,
        c.req.param('name'),
        body,
        c.req.header('x-hub-signature-256'),
      )
      return c.json({ ...app, sync })
    },
  )
