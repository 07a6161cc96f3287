/**
 * `/api/jobs/{id}/outputs`: the files a native job produced. The runner running the job uploads
 * them with that attempt's token; anyone who may read the job reads them, and so does a runner
 * whose run takes one as an input (`?for={its job}`, with its own job token).
 */
import type { Context } from 'hono'
import { callerAccepted, requireRight } from '../auth/access'
import { bearerToken } from '../auth/bearer'
import { HttpError } from '../http-error'
import type { Scheduler } from '../jobs/scheduler'
import { idAt } from '../rooms/owner'
import type { JobOutputs } from '../services/job-outputs'
import type { StandaloneServices } from '../services/standalone-services'
import { serveBytes } from '../storage/serve-file'
import { checkStoragePath } from '../storage/storage-path'
import { joinedPath, requestSegments } from './path-segments'
import { bodyStream } from './request-body'
import { RouteTable } from './route-table'
import { OutputFileView, OutputList } from './data-schemas'
import { redactStream } from '../secrets/redact-stream'

export interface JobOutputRouteDeps {
  jobs: Pick<Scheduler, 'get' | 'jobToken' | 'secretsOf'>
  outputs: JobOutputs
  /** The outputs the runner of a job's current attempt (shown by its token) may read as inputs. */
  readableBy: StandaloneServices['outputsReadableBy']
  durable: () => Promise<void>
}

/** What a runner uploads of a run's own streams (runner/native-executor.ts). */
const STREAM_FILES = new Set(['stdout.txt', 'stderr.txt', 'logs.txt'])

/** Outputs live beside their job, in the room its id names. */
const byJobId = idAt(2)

export const jobOutputRoutes = new RouteTable<JobOutputRouteDeps>()
  .get(
    '/api/jobs/:id/outputs',
    {
      owner: byJobId,
      doc: {
        summary: "A native job's output files",
        tag: 'Jobs',
        params: { id: 'The job id' },
        responses: {
          200: { description: 'The files', schema: OutputList },
          403: { description: "FORBIDDEN: the token does not cover the job's namespace" },
          404: { description: 'JOB_NOT_FOUND' },
        },
      },
    },
    async (c, { jobs, outputs }) => {
      const found = job(c, jobs)
      await requireRight(c, 'jobs', found.namespace)
      const files = outputs.list(found.id).map((f) => ({
        ...f,
        created_at: new Date(f.created_at).toISOString(),
        url: `/api/jobs/${found.id}/outputs/${f.name}`,
      }))
      return c.json({ job_id: found.id, outputs: files, total: files.length })
    },
  )
  .get(
    '/api/jobs/:id/outputs/*',
    {
      owner: byJobId,
      doc: {
        summary: "Download one of a native job's output files",
        description:
          'Honours `Range`. A runner reading an input of its own run adds `?for={its job id}`.',
        tag: 'Jobs',
        params: { id: 'The job id', path: 'The file name' },
        responses: {
          200: { description: 'The file, typed by its name', contentType: '*/*' },
          403: { description: "FORBIDDEN: the token does not cover the job's namespace" },
          404: { description: 'JOB_NOT_FOUND or OUTPUT_NOT_FOUND' },
        },
      },
    },
    async (c, deps) => {
      const { jobs, outputs } = deps
      const reader = c.req.query('for')
      if (reader !== undefined) runnerMayRead(c, deps, reader)
      const found = job(c, jobs)
      if (reader === undefined) await requireRight(c, 'jobs', found.namespace)
      const file = outputs.info(found.id, name(c))
      if (!file)
        throw new HttpError(404, 'OUTPUT_NOT_FOUND', `job ${found.id} has no output '${name(c)}'`)
      return serveBytes(c, file, (range) => outputs.read(found.id, file.name, range))
    },
  )
  // Without a file name it is no upload: the API's checks and limit come first, as for any write.
  .put(
    '/api/jobs/:id/outputs',
    { owner: byJobId, doc: { hidden: 'a refusal: an upload names its file after /outputs/' } },
    upload,
  )
  // The upload streams to the output store, which enforces its own limit; its credential is the
  // job's own token, checked here rather than by the API's auth.
  .put(
    '/api/jobs/:id/outputs/*',
    {
      owner: byJobId,
      body: 'stream',
      ownCredential: true,
      doc: {
        summary: "Upload an output file (the job's runner)",
        description:
          "With the job's own token as the bearer token: only the runner of its current attempt may.",
        tag: 'Jobs',
        params: { id: 'The job id', path: 'The file name' },
        body: { contentType: 'application/octet-stream', description: 'The file' },
        responses: {
          201: { description: 'Stored', schema: OutputFileView },
          401: { description: "UNAUTHORIZED: not this job's token" },
          404: { description: 'JOB_NOT_FOUND' },
        },
      },
    },
    upload,
  )

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
  // The runner's own stream files lose the secret values the run was sent; other files are as made.
  const values = STREAM_FILES.has(name(c)) ? jobs.secretsOf(found.id) : undefined
  const body = values ? redactStream(bodyStream(c), values) : bodyStream(c)
  const file = await outputs.put(found.id, held.attempt, name(c), body)
  await durable()
  return c.json({ ...file, created_at: new Date(file.created_at).toISOString() }, 201)
}

/**
 * `?for={job}`: a runner reading an output that the run it holds takes as an input, with that
 * run's job token. It may read exactly those outputs, nothing else (checked before anything is
 * said about the job named in the path).
 */
function runnerMayRead(c: Context, { readableBy }: JobOutputRouteDeps, reader: string): void {
  const readable = readableBy(reader, bearerToken(c.req.header('authorization')))
  if (!readable)
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      `only the runner running job ${reader}'s current attempt may read the outputs it takes as inputs`,
    )
  const id = c.req.param('id') ?? ''
  if (!readable.some((r) => r.job_id === id && r.output === name(c)))
    throw new HttpError(
      403,
      'FORBIDDEN',
      `job ${reader} does not take output '${name(c)}' of job ${id} as an input`,
    )
  callerAccepted(c)
}

function job(c: Context, jobs: JobOutputRouteDeps['jobs']) {
  const id = c.req.param('id') ?? ''
  const found = jobs.get(id)
  if (!found) throw new HttpError(404, 'JOB_NOT_FOUND', `no job with id ${id}`)
  return found
}

/** `/api/jobs/{id}/outputs/{name…}`, decoded segment by segment. */
const name = (c: Context) => checkStoragePath(joinedPath(requestSegments(c), 4))
