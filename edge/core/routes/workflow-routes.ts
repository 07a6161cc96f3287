/**
 * `/api/workflows` and `/api/workflow-runs`: define, version and delete workflows; start, read,
 * wait for, cancel and retry runs; plus the seed's names (`/execute`, `/workflow-executions`).
 * Rights are those for jobs, on the workflow's namespace.
 */
import type { Context } from 'hono'
import type { JsonValue } from '../../../shared/protocol/json'
import { principalOf, requireAnyRight, requireRight } from '../auth/access'
import { isOperator } from '../auth/principal'
import type { OrchestratorConfig } from '../config'
import { HttpError } from '../http-error'
import { bodyNamespace, idAt, type Owner } from '../rooms/owner'
import type { WorkflowService } from '../workflows/workflow-service'
import { RunStart, workflowDocument } from '../workflows/workflow-schemas'
import { waitQuery } from './job-schemas'
import { parseBody, parseQuery, parseWith, readJson } from './request-body'
import type { RouteDoc } from './route-doc'
import { RouteTable } from './route-table'
import { ListQuery, RunsQuery, workflowDocs as docs } from './workflow-docs'

export interface WorkflowRouteDeps {
  config: OrchestratorConfig
  workflows: WorkflowService
  durable: () => Promise<void>
}

const DEFAULT_NAMESPACE = 'default'

/** A route of one workflow or run: the room its id names. */
const byId = (doc: RouteDoc) => ({ owner: idAt(2), doc })

/**
 * A listing names its namespace or means the default one: either way one room holds it all, and
 * answers with its own paging (asking every room would list the default namespace in each).
 */
const listedNamespace: Owner = {
  kind: 'namespace',
  of: (request) => request.query.get('namespace') ?? DEFAULT_NAMESPACE,
}

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
    { owner: bodyNamespace('jobs'), doc: docs.create },
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
  .get('/api/workflows', { owner: listedNamespace, doc: docs.list }, async (c, { workflows }) => {
    const query = parseQuery(c, ListQuery)
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
  .get('/api/workflows/:id', byId(docs.get), async (c, { workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    return c.json(workflows.view(c.req.param('id')))
  })
  .put('/api/workflows/:id', byId(docs.update), async (c, { config, workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    const doc = await parseBody(c, documentSchema(config))
    return c.json(workflows.update(c.req.param('id'), doc))
  })
  .delete('/api/workflows/:id', byId(docs.delete), async (c, { workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    workflows.remove(c.req.param('id'))
    return c.body(null, 204)
  })
  .post('/api/workflows/:id/runs', byId(docs.start), async (c, deps) => {
    const { run, created } = await startRun(c, deps, c.req.param('id'))
    c.header('location', `/api/workflow-runs/${encodeURIComponent(run.id)}`)
    return c.json(run, created ? 202 : 200)
  })
  .get('/api/workflows/:id/runs', byId(docs.runs), async (c, { workflows }) => {
    await requireWorkflow(c, workflows, c.req.param('id'))
    const query = parseQuery(c, RunsQuery)
    return c.json(workflows.runs(c.req.param('id'), query.limit ?? 20, query.offset ?? 0))
  })
  // The seed's name for starting a run.
  .post('/api/workflows/:id/execute', byId(docs.execute), async (c, deps) => {
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
  .get('/api/workflow-runs/:run', byId(docs.read), async (c, { config, workflows }) => {
    const { wait } = parseQuery(c, waitQuery(config))
    await requireRun(c, workflows, c.req.param('run'))
    return c.json(await workflows.waitFor(c.req.param('run'), (wait ?? 0) * 1000))
  })
  .delete('/api/workflow-runs/:run', byId(docs.cancel), async (c, { workflows }) => {
    await requireRun(c, workflows, c.req.param('run'))
    return c.json(workflows.cancel(c.req.param('run')))
  })
  .post('/api/workflow-runs/:run/retry', byId(docs.retry), async (c, { workflows }) => {
    await requireRun(c, workflows, c.req.param('run'))
    return c.json(workflows.retry(c.req.param('run')), 202)
  })
  // The seed's status read: the run as `execution`, its steps as `jobs`.
  .get('/api/workflow-executions/:run/status', byId(docs.status), async (c, { workflows }) => {
    const run = await requireRun(c, workflows, c.req.param('run'))
    const { steps, ...execution } = workflows.runView(run)
    return c.json({ execution, jobs: steps, total: steps.length })
  })
