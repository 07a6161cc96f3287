/**
 * `/api/services/standalone`: the seed's routes for standalone services (from-local, from-git,
 * details, delete), plus running one (`POST /{id}/run` → 202 with the job) and the file download
 * a runner uses for uploaded services.
 */
import { requireAnyRight, requireOperator, requireRight } from '../auth/access'
import { bearerToken } from '../auth/bearer'
import { Hono, type Context } from 'hono'
import { HttpError } from '../http-error'
import type { Orchestrator } from '../orchestrator'
import {
  SUGGESTED_INTERFACES,
  toDetailsView,
  toServiceView,
  type ServiceRecord,
} from '../services/service-record'
import { FromGitBody, FromLocalBody, RunBody } from '../services/service-schemas'
import { checkStoragePath } from '../storage/storage-path'
import { view } from './job-routes'
import { joinedPath, requestSegments } from './path-segments'
import { parseBody, parseWith, readJson } from './request-body'

export function serviceRoutes(orchestrator: Orchestrator): Hono {
  const app = new Hono()
  const { services } = orchestrator

  const created = async (c: Context, service: ServiceRecord) => {
    await orchestrator.durable()
    return c.json(
      {
        success: true,
        service: toServiceView(service),
        suggested_interfaces: SUGGESTED_INTERFACES,
      },
      201,
    )
  }

  // The namespace is in the body: a caller who may create services nowhere is refused unread.
  app.post('/from-local', async (c) => {
    await requireAnyRight(c, 'services')
    const body = await parseBody(c, FromLocalBody)
    await requireRight(c, 'services', body.namespace ?? 'default')
    return created(c, await services.createFromLocal(body))
  })
  app.post('/from-git', async (c) => {
    await requireAnyRight(c, 'services')
    const body = await parseBody(c, FromGitBody)
    await requireRight(c, 'services', body.namespace ?? 'default')
    return created(c, await services.createFromGit(body))
  })

  /** The service named in the path, once the caller may act on its namespace. */
  const owned = async (c: Context) => {
    const service = services.get(serviceId(c))
    await requireRight(c, 'services', service.namespace)
    return service
  }

  app.get('/', async (c) => {
    const namespace = c.req.query('namespace')
    if (namespace !== undefined) await requireRight(c, 'services', namespace)
    else await requireOperator(c)
    const list = services.list(namespace).map(toServiceView)
    return c.json({ success: true, services: list, total: list.length })
  })

  app.get('/:id/details', async (c) => {
    const service = await owned(c)
    return c.json({
      success: true,
      service: toServiceView(service),
      details: toDetailsView(service),
    })
  })

  app.delete('/:id', async (c) => {
    await owned(c)
    await services.remove(serviceId(c))
    await orchestrator.durable()
    return c.json({ success: true, message: 'Service deleted successfully' })
  })

  app.post('/:id/run', async (c) => {
    // An empty body runs the service as it is configured.
    await owned(c)
    const body = parseWith(RunBody, await readJson(c, {}))
    const job = await services.run(serviceId(c), body)
    await orchestrator.durable()
    return c.json({ success: true, job: view(orchestrator, job) }, 202, {
      location: `/api/jobs/${job.id}`,
    })
  })

  app.get('/:id/files/*', async (c) => {
    // `/api/services/standalone/{id}/files/{path…}`, decoded segment by segment.
    const path = checkStoragePath(joinedPath(requestSegments(c), 5))
    const bearer = bearerToken(c.req.header('authorization'))
    const stream = await services.file(serviceId(c), path, c.req.query('job'), bearer)
    return new Response(stream, { headers: { 'content-type': 'application/octet-stream' } })
  })

  return app
}

function serviceId(c: Context): number {
  const raw = c.req.param('id') ?? ''
  const id = Number(raw)
  if (!/^\d{1,15}$/.test(raw) || id < 1)
    throw new HttpError(400, 'INVALID_REQUEST', `'${raw}' is not a service id`, { field: 'id' })
  return id
}
