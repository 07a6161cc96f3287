/**
 * `/api/workflows` and `/api/workflow-runs`: define, version and delete workflows; start, read,
 * wait for, cancel and retry runs; plus the seed's names (`/execute`, `/workflow-executions`).
 * Rights are those for jobs, on the workflow's namespace.
 */
import type { Context } from 'hono'
import { z } from 'zod'
import { Namespace } from '../../../shared/protocol/job'
import type { JsonValue } from '../../../shared/protocol/json'
import { principalOf, requireAnyRight, requireRight } from '../auth/access'
import { isOperator } from '../auth/principal'
import type { OrchestratorConfig } from '../config'
import { HttpError } from '../http-error'
import { bodyNamespace, idAt, type Owner } from '../rooms/owner'
import type { WorkflowService } from '../workflows/workflow-service'
import { RunStart, workflowDocument } from '../workflows/workflow-schemas'
import { intParam, waitQuery } from './job-schemas'
import { parseBody, parseQuery, parseWith, readJson } from './request-body'
import { RouteTable } from './route-table'

export interface WorkflowRouteDeps {
  config: OrchestratorConfig
  workflows: WorkflowService
  durable: () => Promise<void>
}

const DEFAULT_NAMESPACE = 'default'

/**
 * A listing names its namespace or means the default one: either way one room holds it all, and
 * answers with its own paging (asking every room would list the default namespace in each).
 */
const listedNamespace: Owner = {
  kind: 'namespace',
  of: (request) => request.query.get('namespace') ?? DEFAULT_NAMESPACE,
}

const listQuery = z.object({
  namespace: Namespace.optional(),
  limit: intParam('limit', 1, 1000).optional(),
  offset: intParam('offset', 0, Number.MAX_SAFE_INTEGER).optional(),
})

/** The workflow's namespace decides who may see or use it; an unknown id is a 404 for anyone. */
async function requireWorkflow(c: Context, workflows: WorkflowService, id: string) {
  const workflow = workflows.get(id)
  await requireRight(c, 'jobs', workflow.namespace)
  return workflow
}

async function requireRun(c: Context, workflows: WorkflowService, id: string) {
  const run = workflows.run(id)
  await requireRight(c, 'jobs', run.namespace)
  return run
}

/** A workflow's document, and the schema it follows for this config (built once per config). */
const documents = new WeakMap<OrchestratorConfig, ReturnType<typeof workflowDocument>>()
function documentSchema(config: OrchestratorConfig) {
  let schema = documents.get(config)
  if (!schema) documents.set(config, (schema = workflowDocument(config)))
  return schema
}

async function startRun(c: Context, deps: WorkflowRouteDeps, id: string) {
  await requireWorkflow(c, deps.workflows, id)
  // An empty body starts a run without input.
  const body = parseWith(RunStart, await readJson(c, {}))
  const input = (body.input ?? null) as JsonValue
  return deps.workflows.start(id, input, body.id)
}

export const workflowRoutes = new RouteTable<WorkflowRouteDeps>()
  // Nothing is acknowledged before it is on disk: a 202 means the run survives a crash.
  .use('/api/workflows/*', async (_c, next, { durable }) => {
    await next()
    await durable()
  })
  .use('/api/workflow-runs/*', async (_c, next, { durable }) => {
    await next()
    await durable()
  })
  .post(
    '/api/workflows',
    { owner: bodyNamespace('jobs') },
    async (c, { config, workflows, durable }) => {
      await requireAnyRight(c, 'jobs')
      const doc = await parseBody(c, documentSchema(config))
      const namespace = doc.namespace ?? DEFAULT_NAMESPACE
      await requireRight(c, 'jobs', namespace)
      const created = workflows.create(namespace, doc)
      await durable()
      return c.json(created, 201)
    },
  )
  .get('/api/workflows', { owner: listedNamespace }, async (c, { workflows }) => {
    const query = parseQuery(c, listQuery)
    if (query.namespace === undefined && !isOperator(await principalOf(c)))
      throw new HttpError(
        403,
        'FORBIDDEN',
        'list the workflows of a namespace your token covers: add ?namespace=',
        {
          field: 'namespace',
        },
      )
    const namespace = query.namespace ?? DEFAULT_NAMESPACE
    await requireRight(c, 'jobs', namespace)
    return c.json(workflows.list(namespace, query.limit ?? 100, query.offset ?? 0))
  })
  .get('/api/workflows/:id', { owner: idAt(2) }, async (c, { workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    return c.json(workflows.view(c.req.param('id')))
  })
  .put('/api/workflows/:id', { owner: idAt(2) }, async (c, { config, workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    const doc = await parseBody(c, documentSchema(config))
    return c.json(workflows.update(c.req.param('id'), doc))
  })
  .delete('/api/workflows/:id', { owner: idAt(2) }, async (c, { workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    workflows.remove(c.req.param('id'))
    return c.body(null, 204)
  })
  .post('/api/workflows/:id/runs', { owner: idAt(2) }, async (c, deps) => {
    const { run, created } = await startRun(c, deps, c.req.param('id'))
    c.header('location', `/api/workflow-runs/${encodeURIComponent(run.id)}`)
    return c.json(run, created ? 202 : 200)
  })
  .get('/api/workflows/:id/runs', { owner: idAt(2) }, async (c, { workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    const query = parseQuery(c, listQuery)
    return c.json(workflows.runs(c.req.param('id'), query.limit ?? 20, query.offset ?? 0))
  })
  // The seed's name for starting a run.
  .post('/api/workflows/:id/execute', { owner: idAt(2) }, async (c, deps) => {
    const { run } = await startRun(c, deps, c.req.param('id'))
    return c.json(
      {
        message: 'Workflow execution started',
        workflow_id: run.workflow_id,
        execution_id: run.id,
        status: run.status,
        note: `follow it at /api/workflow-executions/${run.id}/status or /api/workflow-runs/${run.id}`,
      },
      202,
    )
  })
  .get('/api/workflow-runs/:run', { owner: idAt(2) }, async (c, { config, workflows }) => {
    const { wait } = parseQuery(c, waitQuery(config))
    await requireRun(c, workflows, c.req.param('run'))
    return c.json(await workflows.waitFor(c.req.param('run'), (wait ?? 0) * 1000))
  })
  .delete('/api/workflow-runs/:run', { owner: idAt(2) }, async (c, { workflows }) => {
    await requireRun(c, workflows, c.req.param('run'))
    return c.json(workflows.cancel(c.req.param('run')))
  })
  .post('/api/workflow-runs/:run/retry', { owner: idAt(2) }, async (c, { workflows }) => {
    await requireRun(c, workflows, c.req.param('run'))
    return c.json(workflows.retry(c.req.param('run')), 202)
  })
  // The seed's status read: the run as `execution`, its steps as `jobs`.
  .get('/api/workflow-executions/:run/status', { owner: idAt(2) }, async (c, { workflows }) => {
    const run = await requireRun(c, workflows, c.req.param('run'))
    const { steps, ...execution } = workflows.runView(run)
    return c.json({ execution, jobs: steps, total: steps.length })
  })
