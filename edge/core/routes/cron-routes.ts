/**
 * `/api/cron/{namespace}/{name}`: create or replace (PUT), read (GET), delete (DELETE) a cron
 * trigger; `GET /api/cron/{namespace}` lists them with their next and last runs. Triggers start
 * jobs, function calls and workflow runs in their namespace, so every route takes the `jobs`
 * right on it; a namespace's triggers live in its room.
 */
import type { Context } from 'hono'
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'
import { guardNamespace } from '../auth/access'
import type { OrchestratorConfig } from '../config'
import { CronName, cronBody } from '../cron/cron-schemas'
import type { CronService } from '../cron/cron-service'
import { HttpError, badRequest } from '../http-error'
import { namespaceAt } from '../rooms/owner'
import { cronDocs } from './cron-docs'
import { requestSegments } from './path-segments'
import { parseBody } from './request-body'
import type { RouteDoc } from './route-doc'
import { RouteTable } from './route-table'

export interface CronRouteDeps {
  config: OrchestratorConfig
  crons: CronService
  durable: () => Promise<void>
}

/** The body schema follows the config's job limits; built once per config. */
const bodies = new WeakMap<OrchestratorConfig, ReturnType<typeof cronBody>>()
function bodySchema(config: OrchestratorConfig) {
  let schema = bodies.get(config)
  if (!schema) bodies.set(config, (schema = cronBody(config)))
  return schema
}

function namespaceOf(c: Context): string {
  const namespace = requestSegments(c)[2] ?? ''
  if (!NAMESPACE_PATTERN.test(namespace))
    throw badRequest(
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    )
  return namespace
}

function params(c: Context): { namespace: string; name: string } {
  const namespace = namespaceOf(c)
  const name = requestSegments(c)[3] ?? ''
  if (!CronName.safeParse(name).success)
    throw badRequest('name must be 1 to 32 letters, digits, _ and -', 'name')
  return { namespace, name }
}

const owned = { owner: namespaceAt(2) }
const doc = (d: RouteDoc) => ({ ...owned, doc: d })
const listing = (c: Context, { crons }: CronRouteDeps) => c.json(crons.list(namespaceOf(c)))

export const cronRoutes = new RouteTable<CronRouteDeps>()
  // The right is checked before any body is read; nothing is acknowledged before it is on disk.
  .use('/api/cron/*', guardNamespace('jobs'))
  .use('/api/cron/*', async (_c, next, { durable }) => {
    await next()
    await durable()
  })
  .get('/api/cron/:ns', doc(cronDocs.list), listing)
  .get(
    '/api/cron/:ns/',
    { ...owned, doc: { hidden: 'the same listing as GET /api/cron/{ns}' } },
    listing,
  )
  .get('/api/cron/:ns/:name', doc(cronDocs.get), (c, { crons }) => {
    const { namespace, name } = params(c)
    return c.json(crons.view(namespace, name))
  })
  .put('/api/cron/:ns/:name', doc(cronDocs.put), async (c, { config, crons }) => {
    const { namespace, name } = params(c)
    const body = await parseBody(c, bodySchema(config))
    const { created } = crons.put(namespace, name, body)
    return c.json(crons.view(namespace, name), created ? 201 : 200)
  })
  .delete('/api/cron/:ns/:name', doc(cronDocs.delete), (c, { crons }) => {
    const { namespace, name } = params(c)
    if (!crons.remove(namespace, name))
      throw new HttpError(
        404,
        'CRON_NOT_FOUND',
        `no cron trigger '${name}' in namespace '${namespace}'`,
      )
    return c.body(null, 204)
  })
  // A trigger's name is one path segment: anything deeper is a mistake worth naming.
  .all(
    '/api/cron/:ns/:name/*',
    { ...owned, doc: { hidden: 'a catch-all that answers 400: a trigger name has no "/"' } },
    () => {
      throw badRequest('a cron trigger name is a single path segment (no "/")', 'name')
    },
  )
