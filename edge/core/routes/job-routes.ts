/** `/api/jobs`: submit one or many, read, list, wait, cancel. */
import type { Context } from 'hono'
import { principalOf, requireAnyRight, requireRight } from '../auth/access'
import { isOperator } from '../auth/principal'
import type { OrchestratorConfig } from '../config'
import { HttpError } from '../http-error'
import type { JobRecord, NewJob } from '../jobs/job-record'
import { batchDone, type Scheduler } from '../jobs/scheduler'
import { checkPendingJobs } from '../limits/quota-error'
import { checkDeclared, type SecretService } from '../secrets/secret-service'
import { combineJobs } from '../rooms/combine-answers'
import { bodyNamespace, everyRoom, idAt, namespaceInQuery } from '../rooms/owner'
import { acceptModule, decodeBase64, type ModuleIntake } from '../wasm/module-intake'
import { jobDocs as docs } from './job-docs'
import { batchSubmission, jobListQuery, jobSubmission, waitQuery } from './job-schemas'
import type { JobViewer } from './job-view'
import { parseBody, parseQuery } from './request-body'
import { RouteTable } from './route-table'

const DEFAULT_NAMESPACE = 'default'

export interface JobRouteDeps {
  config: OrchestratorConfig
  jobs: Pick<
    Scheduler,
    'submit' | 'list' | 'get' | 'waitFor' | 'waitForBatch' | 'cancel' | 'pendingIn' | 'hasModule'
  >
  /** Inline modules of wasm jobs are stored as if uploaded. */
  intake: ModuleIntake
  view: JobViewer
  sha256: (text: string) => string | Promise<string>
  /** Resolves once what was written so far survives a crash. */
  durable: () => Promise<void>
  /** Where declared secrets are checked to exist; undefined: the host has no secrets key. */
  secrets?: SecretService | undefined
  /** Told before a submit waits: the host's follow-up (a Workers room's) cannot wait for the answer. */
  launched?: (() => void) | undefined
}

/** A job or batch id in the path (`/api/jobs/{id}`, `/api/jobs/batch/{id}`) names its room. */
const byJobId = idAt(2)

export const jobRoutes = new RouteTable<JobRouteDeps>()
  // Nothing leaves before it is on disk: a 201 means the job survives a crash, and a state a
  // caller reads (completed, cancelled) is never taken back by one.
  .use('/api/jobs/*', async (_c, next, { durable }) => {
    await next()
    await durable()
  })
  // The namespace is in the body: a caller who may submit nowhere is refused before it is read.
  // `?wait=` as on GET /api/jobs/{id}: the 201 carries the job as it ended, or as the wait left it.
  .post('/api/jobs', { owner: bodyNamespace('jobs'), doc: docs.submit }, async (c, deps) => {
    await requireAnyRight(c, 'jobs')
    const { wait } = parseQuery(c, schemasOf(deps.config).wait)
    const body = await parseBody(c, schemasOf(deps.config).single)
    await requireRight(c, 'jobs', body.namespace ?? DEFAULT_NAMESPACE)
    checkQuota(deps, body.namespace, 1)
    const submitted = await newJob(body, body.input_data ?? null, null, deps)
    checkQuota(deps, body.namespace, 1)
    const [job] = deps.jobs.submit([submitted]) as [JobRecord]
    if (wait) deps.launched?.()
    const waited = wait ? await deps.jobs.waitFor(job.id, wait * 1000) : undefined
    return c.json(deps.view(waited ?? job), 201)
  })
  .post('/api/jobs/batch', { owner: bodyNamespace('jobs'), doc: docs.batch }, async (c, deps) => {
    await requireAnyRight(c, 'jobs')
    const { wait } = parseQuery(c, schemasOf(deps.config).wait)
    const body = await parseBody(c, schemasOf(deps.config).batch)
    await requireRight(c, 'jobs', body.namespace ?? DEFAULT_NAMESPACE)
    const batchId = deps.config.idPrefix + crypto.randomUUID()
    checkQuota(deps, body.namespace, body.inputs.length)
    const template = await newJob(body, null, batchId, deps)
    checkQuota(deps, body.namespace, body.inputs.length)
    const jobs = deps.jobs.submit(
      body.inputs.map((input, index) => ({ ...template, input_data: input, batch_index: index })),
    )
    const submitted = { batch_id: batchId, count: jobs.length, job_ids: jobs.map((j) => j.id) }
    if (wait === undefined) return c.json(submitted, 201)
    // With `?wait=`, what GET /api/jobs/batch/{id}?wait= would say, once all end or the wait does.
    deps.launched?.()
    const counts = await deps.jobs.waitForBatch(batchId, wait * 1000)
    return c.json({ ...submitted, done: batchDone(counts), ...counts }, 201)
  })
  .get(
    '/api/jobs',
    { owner: namespaceInQuery('namespace', everyRoom(combineJobs)), doc: docs.list },
    async (c, { jobs, view }) => {
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
      const listed = jobs.list({
        status: query.status,
        namespace: query.namespace,
        batchId: query.batch_id,
        order: query.order,
        limit,
        offset,
      })
      return c.json({ jobs: listed.jobs.map(view), total: listed.total, limit, offset })
    },
  )
  .get(
    '/api/jobs/batch/:batchId',
    { owner: idAt(3), doc: docs.status },
    async (c, { config, jobs }) => {
      const { wait } = parseQuery(c, schemasOf(config).wait)
      const batchId = c.req.param('batchId')
      const [first] = jobs.list({ batchId, limit: 1, offset: 0 }).jobs
      if (first) await requireRight(c, 'jobs', first.namespace)
      const counts = await jobs.waitForBatch(batchId, (wait ?? 0) * 1000)
      const total = Object.values(counts).reduce((a, b) => a + b, 0)
      if (total === 0) throw new HttpError(404, 'BATCH_NOT_FOUND', `no batch with id ${batchId}`)
      return c.json({ batch_id: batchId, total, done: batchDone(counts), ...counts })
    },
  )
  .get('/api/jobs/:id', { owner: byJobId, doc: docs.get }, async (c, { config, jobs, view }) => {
    const { wait } = parseQuery(c, schemasOf(config).wait)
    await requireJob(c, jobs.get(c.req.param('id')))
    const job = await jobs.waitFor(c.req.param('id'), (wait ?? 0) * 1000)
    if (!job) throw notFound(c.req.param('id'))
    return c.json(view(job))
  })
  .delete('/api/jobs/:id', { owner: byJobId, doc: docs.cancel }, async (c, { jobs, view }) => {
    const id = c.req.param('id')
    await requireJob(c, jobs.get(id))
    const outcome = jobs.cancel(id)
    if (outcome.ok) return c.json(view(outcome.job))
    if (outcome.reason === 'not_found') throw notFound(id)
    throw new HttpError(
      409,
      'JOB_FINISHED',
      `job ${id} already ${outcome.job?.status}; only pending or running jobs can be cancelled`,
    )
  })

/** The schemas follow the config's limits; built once per config. */
const schemas = new WeakMap<OrchestratorConfig, ReturnType<typeof buildSchemas>>()
function schemasOf(config: OrchestratorConfig) {
  let built = schemas.get(config)
  if (!built) schemas.set(config, (built = buildSchemas(config)))
  return built
}
const buildSchemas = (config: OrchestratorConfig) => ({
  single: jobSubmission(config),
  batch: batchSubmission(config),
  wait: waitQuery(config),
})

/** Checked before the work of building jobs, and again with nothing awaited before the submit. */
function checkQuota(deps: JobRouteDeps, namespace: string | undefined, adding: number): void {
  const ns = namespace ?? DEFAULT_NAMESPACE
  checkPendingJobs(ns, deps.jobs.pendingIn(ns), adding, deps.config.limits.maxPendingJobs)
}

/** A job's namespace decides who may see or cancel it; an unknown id is a 404 for anyone. */
async function requireJob(c: Context, job: JobRecord | undefined): Promise<void> {
  if (job) await requireRight(c, 'jobs', job.namespace)
}

const notFound = (id: string) => new HttpError(404, 'JOB_NOT_FOUND', `no job with id ${id}`)

/** What building a job from a submission uses: the limits, the hash, and where modules are. */
export type JobMaking = Pick<JobRouteDeps, 'config' | 'intake' | 'sha256' | 'secrets'> & {
  jobs: Pick<Scheduler, 'hasModule'>
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
  secrets?: string[]
  wasm_base64?: string
  wasm_cid?: string
  args?: string[]
  env?: Record<string, string>
}

/** A submission as the job to store (a cron trigger's job target is made here too). */
export async function newJob(
  body: Submission,
  input: NewJob['input_data'],
  batchId: string | null,
  deps: JobMaking,
): Promise<NewJob> {
  const code = body.code ?? ''
  checkDeclared(deps.secrets, body.namespace ?? DEFAULT_NAMESPACE, body.secrets)
  return {
    job_type: body.job_type,
    namespace: body.namespace ?? DEFAULT_NAMESPACE,
    code,
    code_hash: await deps.sha256(code),
    input_data: input,
    timeout_ms: Math.round((body.timeout_seconds ?? deps.config.defaultTimeoutSeconds) * 1000),
    max_retries: body.max_retries ?? deps.config.defaultMaxRetries,
    batch_id: batchId,
    redundancy: body.redundancy ?? 1,
    executor: body.executor ?? 'any',
    untrusted_db: body.untrusted_db ?? { read: [], write: [] },
    ...(body.secrets?.length && { secrets: body.secrets }),
    ...(body.job_type === 'wasm' && {
      wasm_cid: await moduleFor(body, deps),
      args: body.args ?? [],
      env: body.env ?? {},
    }),
  }
}

/** A wasm job's module: stored now if it came inline, known already if named by id. */
async function moduleFor(body: Submission, deps: JobMaking): Promise<string> {
  if (body.wasm_base64 !== undefined) {
    return (
      await acceptModule(deps.intake, decodeBase64(body.wasm_base64, 'wasm_base64'), 'wasm_base64')
    ).cid
  }
  const cid = body.wasm_cid as string
  if (!deps.jobs.hasModule(cid)) {
    throw new HttpError(
      404,
      'WASM_NOT_FOUND',
      `no module with id ${cid}; upload it with POST /api/wasm first`,
      { field: 'wasm_cid' },
    )
  }
  return cid
}
