/**
 * `/api/services/standalone`: the seed's routes for standalone services (from-local, from-git,
 * details, delete), plus updating one in place (`PUT /{id}`: same id, next version), running one
 * (`POST /{id}/run` → 202 with the job) and the file download a runner uses for uploaded
 * services. Services live in the home room, where runners connect.
 */
import type { Context } from 'hono'
import { requireAnyRight, requireOperator, requireRight } from '../auth/access'
import { bearerToken } from '../auth/bearer'
import { HttpError } from '../http-error'
import { HOME } from '../rooms/owner'
import {
  SUGGESTED_INTERFACES,
  toDetailsView,
  toServiceView,
  type ServiceRecord,
} from '../services/service-record'
import {
  FromGitBody,
  FromLocalBody,
  RunBody,
  UpdateFromGitBody,
  UpdateFromLocalBody,
  type UpdateBody,
} from '../services/service-schemas'
import type { StandaloneServices } from '../services/standalone-services'
import { checkStoragePath } from '../storage/storage-path'
import type { JobViewer } from './job-view'
import { joinedPath, requestSegments } from './path-segments'
import { parseBody, parseQuery, parseWith, readJson } from './request-body'
import type { RouteDoc } from './route-doc'
import { RouteTable } from './route-table'
import { ServiceFileQuery, ServiceListQuery, serviceDocs as docs } from './service-docs'

export interface ServiceRouteDeps {
  services: Pick<
    StandaloneServices,
    'createFromLocal' | 'createFromGit' | 'get' | 'list' | 'remove' | 'run' | 'file' | 'update'
  >
  view: JobViewer
  durable: () => Promise<void>
}

const home = { owner: HOME }
const doc = (d: RouteDoc) => ({ ...home, doc: d })

export const serviceRoutes = new RouteTable<ServiceRouteDeps>()
  // The namespace is in the body: a caller who may create services nowhere is refused unread.
  .post('/api/services/standalone/from-local', doc(docs.fromLocal), async (c, deps) => {
    await requireAnyRight(c, 'services')
    const body = await parseBody(c, FromLocalBody)
    await requireRight(c, 'services', body.namespace ?? 'default')
    return created(c, deps, await deps.services.createFromLocal(body))
  })
  .post('/api/services/standalone/from-git', doc(docs.fromGit), async (c, deps) => {
    await requireAnyRight(c, 'services')
    const body = await parseBody(c, FromGitBody)
    await requireRight(c, 'services', body.namespace ?? 'default')
    return created(c, deps, await deps.services.createFromGit(body))
  })
  .get('/api/services/standalone', doc(docs.list), async (c, { services }) => {
    const { namespace } = parseQuery(c, ServiceListQuery)
    if (namespace !== undefined) await requireRight(c, 'services', namespace)
    else await requireOperator(c)
    const list = services.list(namespace).map(toServiceView)
    return c.json({ success: true, services: list, total: list.length })
  })
  .get('/api/services/standalone/:id/details', doc(docs.details), async (c, { services }) => {
    const service = await owned(c, services)
    return c.json({
      success: true,
      service: toServiceView(service),
      details: toDetailsView(service),
    })
  })
  // A new version in place: a from-local or from-git body (git when it names a repo_url).
  .put('/api/services/standalone/:id', doc(docs.update), async (c, { services, durable }) => {
    await owned(c, services)
    const raw = await readJson(c)
    const git = typeof raw === 'object' && raw !== null && 'repo_url' in raw
    const body: UpdateBody = git
      ? { source: 'git', ...parseWith(UpdateFromGitBody, raw) }
      : { source: 'local', ...parseWith(UpdateFromLocalBody, raw) }
    const service = await services.update(serviceId(c), body)
    await durable()
    return c.json({ success: true, service: toServiceView(service) })
  })
  .delete('/api/services/standalone/:id', doc(docs.delete), async (c, { services, durable }) => {
    await owned(c, services)
    await services.remove(serviceId(c))
    await durable()
    return c.json({ success: true, message: 'Service deleted successfully' })
  })
  // A run's input files may come as base64 in JSON: its body may be as large as a module's.
  .post(
    '/api/services/standalone/:id/run',
    { ...doc(docs.run), body: 'module' },
    async (c, { services, view, durable }) => {
      // An empty body runs the service as it is configured.
      await owned(c, services)
      const body = parseWith(RunBody, await readJson(c, {}))
      const job = await services.run(serviceId(c), body)
      await durable()
      return c.json({ success: true, job: view(job) }, 202, {
        location: `/api/jobs/${job.id}`,
      })
    },
  )
  .get('/api/services/standalone/:id/files/*', doc(docs.file), async (c, { services }) => {
    // `/api/services/standalone/{id}/files/{path…}`, decoded segment by segment.
    const path = checkStoragePath(joinedPath(requestSegments(c), 5))
    const bearer = bearerToken(c.req.header('authorization'))
    const { job } = parseQuery(c, ServiceFileQuery)
    const stream = await services.file(serviceId(c), path, job, bearer)
    return new Response(stream, { headers: { 'content-type': 'application/octet-stream' } })
  })

async function created(c: Context, { durable }: ServiceRouteDeps, service: ServiceRecord) {
  await durable()
  return c.json(
    {
      success: true,
      service: toServiceView(service),
      suggested_interfaces: SUGGESTED_INTERFACES,
    },
    201,
  )
}

/** The service named in the path, once the caller may act on its namespace. */
async function owned(c: Context, services: ServiceRouteDeps['services']) {
  const service = services.get(serviceId(c))
  await requireRight(c, 'services', service.namespace)
  return service
}

function serviceId(c: Context): number {
  const raw = c.req.param('id') ?? ''
  const id = Number(raw)
  if (!/^\d{1,15}$/.test(raw) || id < 1)
    throw new HttpError(400, 'INVALID_REQUEST', `'${raw}' is not a service id`, { field: 'id' })
  return id
}
