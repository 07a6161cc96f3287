/**
 * `/api/jobs/{id}/outputs`: the files a native job produced. The runner running the job uploads
 * them with that attempt's token; anyone who may read the job reads them.
 */
import type { Context } from 'hono'
import { callerAccepted, requireRight } from '../auth/access'
import { bearerToken } from '../auth/bearer'
import { HttpError } from '../http-error'
import type { Scheduler } from '../jobs/scheduler'
import { idAt } from '../rooms/owner'
import type { JobOutputs } from '../services/job-outputs'
import { serveBytes } from '../storage/serve-file'
import { checkStoragePath } from '../storage/storage-path'
import { joinedPath, requestSegments } from './path-segments'
import { bodyStream } from './request-body'
import { RouteTable } from './route-table'

export interface JobOutputRouteDeps {
  jobs: Pick<Scheduler, 'get' | 'jobToken'>
  outputs: JobOutputs
  durable: () => Promise<void>
}

/** Outputs live beside their job, in the room its id names. */
const byJobId = idAt(2)

export const jobOutputRoutes = new RouteTable<JobOutputRouteDeps>()
  .get('/api/jobs/:id/outputs', { owner: byJobId }, async (c, { jobs, outputs }) => {
    const found = job(c, jobs)
    await requireRight(c, 'jobs', found.namespace)
    const files = outputs.list(found.id).map((f) => ({
      ...f,
      created_at: new Date(f.created_at).toISOString(),
      url: `/api/jobs/${found.id}/outputs/${f.name}`,
    }))
    return c.json({ job_id: found.id, outputs: files, total: files.length })
  })
  .get('/api/jobs/:id/outputs/*', { owner: byJobId }, async (c, { jobs, outputs }) => {
    const found = job(c, jobs)
    await requireRight(c, 'jobs', found.namespace)
    const file = outputs.info(found.id, name(c))
    if (!file)
      throw new HttpError(404, 'OUTPUT_NOT_FOUND', `job ${found.id} has no output '${name(c)}'`)
    return serveBytes(c, file, (range) => outputs.read(found.id, file.name, range))
  })
  // Without a file name it is no upload: the API's checks and limit come first, as for any write.
  .put('/api/jobs/:id/outputs', { owner: byJobId }, upload)
  // The upload streams to the output store, which enforces its own limit; its credential is the
  // job's own token, checked here rather than by the API's auth.
  .put('/api/jobs/:id/outputs/*', { owner: byJobId, body: 'stream', ownCredential: true }, upload)

async function upload(c: Context, { jobs, outputs, durable }: JobOutputRouteDeps) {
  const found = job(c, jobs)
  const held = jobs.jobToken(found.id)
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
  await durable()
  return c.json({ ...file, created_at: new Date(file.created_at).toISOString() }, 201)
}

function job(c: Context, jobs: JobOutputRouteDeps['jobs']) {
  const id = c.req.param('id') ?? ''
  const found = jobs.get(id)
  if (!found) throw new HttpError(404, 'JOB_NOT_FOUND', `no job with id ${id}`)
  return found
}

/** `/api/jobs/{id}/outputs/{name…}`, decoded segment by segment. */
const name = (c: Context) => checkStoragePath(joinedPath(requestSegments(c), 4))
