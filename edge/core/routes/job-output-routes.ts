/**
 * `/api/jobs/{id}/outputs`: the files a native job produced. The runner running the job uploads
 * them with that attempt's token; anyone who may read the job reads them.
 */
import { Hono, type Context } from 'hono'
import { callerAccepted, requireRight } from '../auth/access'
import { bearerToken } from '../auth/bearer'
import { HttpError } from '../http-error'
import type { Orchestrator } from '../orchestrator'
import type { JobOutputs } from '../services/job-outputs'
import { serveBytes } from '../storage/serve-file'
import { checkStoragePath } from '../storage/storage-path'
import { joinedPath, requestSegments } from './path-segments'
import { bodyStream } from './request-body'

export function jobOutputRoutes(orchestrator: Orchestrator, outputs: JobOutputs): Hono {
  const app = new Hono()
  const { scheduler } = orchestrator

  const job = (c: Context) => {
    const id = c.req.param('id') ?? ''
    const found = scheduler.get(id)
    if (!found) throw new HttpError(404, 'JOB_NOT_FOUND', `no job with id ${id}`)
    return found
  }
  // `/api/jobs/{id}/outputs/{name…}`, decoded segment by segment.
  const name = (c: Context) => checkStoragePath(joinedPath(requestSegments(c), 4))

  app.get('/:id/outputs', async (c) => {
    const found = job(c)
    await requireRight(c, 'jobs', found.namespace)
    const files = outputs.list(found.id).map((f) => ({
      ...f,
      created_at: new Date(f.created_at).toISOString(),
      url: `/api/jobs/${found.id}/outputs/${f.name}`,
    }))
    return c.json({ job_id: found.id, outputs: files, total: files.length })
  })

  app.get('/:id/outputs/*', async (c) => {
    const found = job(c)
    await requireRight(c, 'jobs', found.namespace)
    const file = outputs.info(found.id, name(c))
    if (!file)
      throw new HttpError(404, 'OUTPUT_NOT_FOUND', `job ${found.id} has no output '${name(c)}'`)
    return serveBytes(c, file, (range) => outputs.read(found.id, file.name, range))
  })

  app.put('/:id/outputs/*', async (c) => {
    const found = job(c)
    const held = scheduler.jobToken(found.id)
    const bearer = bearerToken(c.req.header('authorization'))
    if (!held || bearer !== held.token)
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        "only the runner running this job's current attempt may upload its outputs",
      )
    callerAccepted(c)
    const body = bodyStream(c)
    const file = await outputs.put(found.id, held.attempt, name(c), body)
    await orchestrator.durable()
    return c.json({ ...file, created_at: new Date(file.created_at).toISOString() }, 201)
  })

  return app
}
