/** `/api/jobs`: submit one or many, read, list, wait, cancel. */
import { Hono, type Context } from 'hono'
import { isFinished } from '../../../shared/protocol/job'
import { principalOf, requireAnyRight, requireRight } from '../auth/access'
import { isOperator } from '../auth/principal'
import { HttpError } from '../http-error'
import type { JobRecord, NewJob } from '../jobs/job-record'
import { toJobView, type JobView } from '../jobs/job-record'
import { batchDone } from '../jobs/scheduler'
import { checkPendingJobs } from '../limits/quota-error'
import type { Orchestrator } from '../orchestrator'
import { acceptModule, decodeBase64 } from '../wasm/module-intake'
import { batchSubmission, jobListQuery, jobSubmission, waitQuery } from './job-schemas'
import { parseBody, parseQuery } from './request-body'

export const DEFAULT_NAMESPACE = 'default'

export function jobRoutes(orchestrator: Orchestrator): Hono {
  const app = new Hono()
  const { config, scheduler } = orchestrator
  const single = jobSubmission(config)
  const batch = batchSubmission(config)
  const waitSchema = waitQuery(config)
  // Checked before the work of building jobs, and again with nothing awaited before the submit.
  const checkQuota = (namespace: string | undefined, adding: number) => {
    const ns = namespace ?? DEFAULT_NAMESPACE
    checkPendingJobs(ns, scheduler.pendingIn(ns), adding, config.limits.maxPendingJobs)
  }

  // Nothing leaves before it is on disk: a 201 means the job survives a crash, and a state a
  // caller reads (completed, cancelled) is never taken back by one.
  app.use('*', async (_c, next) => {
    await next()
    await orchestrator.durable()
  })

  // The namespace is in the body: a caller who may submit nowhere is refused before it is read.
  app.post('/', async (c) => {
    await requireAnyRight(c, 'jobs')
    const body = await parseBody(c, single)
    await requireRight(c, 'jobs', body.namespace ?? DEFAULT_NAMESPACE)
    checkQuota(body.namespace, 1)
    const submitted = await newJob(body, body.input_data ?? null, null, orchestrator)
    checkQuota(body.namespace, 1)
    const [job] = scheduler.submit([submitted])
    return c.json(view(orchestrator, job as JobRecord), 201)
  })

  app.post('/batch', async (c) => {
    await requireAnyRight(c, 'jobs')
    const body = await parseBody(c, batch)
    await requireRight(c, 'jobs', body.namespace ?? DEFAULT_NAMESPACE)
    const batchId = orchestrator.config.idPrefix + crypto.randomUUID()
    checkQuota(body.namespace, body.inputs.length)
    const template = await newJob(body, null, batchId, orchestrator)
    checkQuota(body.namespace, body.inputs.length)
    const jobs = scheduler.submit(body.inputs.map((input) => ({ ...template, input_data: input })))
    return c.json({ batch_id: batchId, count: jobs.length, job_ids: jobs.map((j) => j.id) }, 201)
  })

  app.get('/', async (c) => {
    const query = parseQuery(c, jobListQuery)
    if (query.namespace !== undefined) await requireRight(c, 'jobs', query.namespace)
    else if (!isOperator(await principalOf(c)))
      throw new HttpError(
        403,
        'FORBIDDEN',
        'list the jobs of a namespace your token covers: add ?namespace=',
        {
          field: 'namespace',
        },
      )
    const limit = query.limit ?? 20
    const offset = query.offset ?? 0
    const { jobs, total } = scheduler.list({
      status: query.status,
      namespace: query.namespace,
      batchId: query.batch_id,
      limit,
      offset,
    })
    return c.json({ jobs: jobs.map((j) => view(orchestrator, j)), total, limit, offset })
  })

  app.get('/batch/:batchId', async (c) => {
    const { wait } = parseQuery(c, waitSchema)
    const batchId = c.req.param('batchId')
    const [first] = scheduler.list({ batchId, limit: 1, offset: 0 }).jobs
    if (first) await requireRight(c, 'jobs', first.namespace)
    const counts = await scheduler.waitForBatch(batchId, (wait ?? 0) * 1000)
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    if (total === 0) throw new HttpError(404, 'BATCH_NOT_FOUND', `no batch with id ${batchId}`)
    return c.json({ batch_id: batchId, total, done: batchDone(counts), ...counts })
  })

  app.get('/:id', async (c) => {
    const { wait } = parseQuery(c, waitSchema)
    await requireJob(c, scheduler.get(c.req.param('id')))
    const job = await scheduler.waitFor(c.req.param('id'), (wait ?? 0) * 1000)
    if (!job) throw notFound(c.req.param('id'))
    return c.json(view(orchestrator, job))
  })

  app.delete('/:id', async (c) => {
    const id = c.req.param('id')
    await requireJob(c, scheduler.get(id))
    const outcome = scheduler.cancel(id)
    if (outcome.ok) return c.json(view(orchestrator, outcome.job))
    if (outcome.reason === 'not_found') throw notFound(id)
    throw new HttpError(
      409,
      'JOB_FINISHED',
      `job ${id} already ${outcome.job?.status}; only pending or running jobs can be cancelled`,
    )
  })

  return app
}

/** A job's namespace decides who may see or cancel it; an unknown id is a 404 for anyone. */
async function requireJob(c: Context, job: JobRecord | undefined): Promise<void> {
  if (job) await requireRight(c, 'jobs', job.namespace)
}

const notFound = (id: string) => new HttpError(404, 'JOB_NOT_FOUND', `no job with id ${id}`)

export function view(orchestrator: Orchestrator, job: JobRecord): JobView {
  const { scheduler, outputs } = orchestrator
  const shown = toJobView(job, scheduler.codeOf(job.code_hash))
  const progress = isFinished(job.status) ? undefined : scheduler.progressOf(job.id)
  const files =
    job.job_type === 'native' && outputs
      ? outputs.list(job.id).map((f) => ({
          name: f.name,
          size: f.size,
          sha256: f.sha256,
          url: `/api/jobs/${job.id}/outputs/${f.name}`,
        }))
      : undefined
  const quorum = scheduler.quorumOf(job)
  return {
    ...shown,
    ...(quorum && { quorum }),
    ...(progress && { progress }),
    ...(files && { outputs: files }),
  }
}

interface Submission {
  job_type: NewJob['job_type']
  code?: string
  namespace?: string
  timeout_seconds?: number
  max_retries?: number
  redundancy?: number
  executor?: NewJob['executor']
  untrusted_db?: NewJob['untrusted_db']
  wasm_base64?: string
  wasm_cid?: string
  args?: string[]
  env?: Record<string, string>
}

async function newJob(
  body: Submission,
  input: NewJob['input_data'],
  batchId: string | null,
  orchestrator: Orchestrator,
): Promise<NewJob> {
  const code = body.code ?? ''
  return {
    job_type: body.job_type,
    namespace: body.namespace ?? DEFAULT_NAMESPACE,
    code,
    code_hash: await orchestrator.sha256(code),
    input_data: input,
    timeout_ms: Math.round(
      (body.timeout_seconds ?? orchestrator.config.defaultTimeoutSeconds) * 1000,
    ),
    max_retries: body.max_retries ?? orchestrator.config.defaultMaxRetries,
    batch_id: batchId,
    redundancy: body.redundancy ?? 1,
    executor: body.executor ?? 'any',
    untrusted_db: body.untrusted_db ?? { read: [], write: [] },
    ...(body.job_type === 'wasm' && {
      wasm_cid: await moduleFor(body, orchestrator),
      args: body.args ?? [],
      env: body.env ?? {},
    }),
  }
}

/** A wasm job's module: stored now if it came inline, known already if named by id. */
async function moduleFor(body: Submission, orchestrator: Orchestrator): Promise<string> {
  if (body.wasm_base64 !== undefined) {
    return (
      await acceptModule(orchestrator, decodeBase64(body.wasm_base64, 'wasm_base64'), 'wasm_base64')
    ).cid
  }
  const cid = body.wasm_cid as string
  if (!orchestrator.scheduler.hasModule(cid)) {
    throw new HttpError(
      404,
      'WASM_NOT_FOUND',
      `no module with id ${cid}; upload it with POST /api/wasm first`,
      { field: 'wasm_cid' },
    )
  }
  return cid
}
