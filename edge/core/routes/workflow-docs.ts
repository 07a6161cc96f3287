/**
 * The queries `/api/workflows` and `/api/workflow-runs` parse and their OpenAPI entries. Schemas
 * that follow the host's limits (the document, `?wait=`) are shown as built with the defaults.
 */
import { z } from 'zod'
import { Namespace } from '../../../shared/protocol/job'
import { defaultConfig } from '../config'
import { RunStart, workflowDocument } from '../workflows/workflow-schemas'
import {
  ExecutionStarted,
  ExecutionStatus,
  RunListSchema,
  RunViewSchema,
  WorkflowListSchema,
  WorkflowViewSchema,
} from '../workflows/workflow-view-schemas'
import { deniedDocs, tooLargeDoc } from './doc-responses'
import { intParam, waitQuery } from './job-schemas'
import type { ResponseDoc, RouteDoc } from './route-doc'

const page = {
  limit: intParam('limit', 1, 1000).optional().describe('items per page, 1 to 1000'),
  offset: intParam('offset', 0, Number.MAX_SAFE_INTEGER).optional().describe('items to skip'),
}

/** `GET /api/workflows`. */
export const ListQuery = z.object({
  namespace: Namespace.optional().describe('whose workflows (required unless you are the admin)'),
  ...page,
})

/** `GET /api/workflows/{id}/runs`. */
export const RunsQuery = z.object(page)

const TAG = 'Workflows'
const config = defaultConfig()
const ID = { id: "the workflow's id (`wf-…`)" }
const RUN = { run: "the run's id (`run-…`)" }
const DENIED = deniedDocs('jobs', "the workflow's namespace")
const NO_WORKFLOW: ResponseDoc = { description: 'no workflow with that id (WORKFLOW_NOT_FOUND)' }
const NO_RUN: ResponseDoc = { description: 'no run with that id (WORKFLOW_RUN_NOT_FOUND)' }
const BAD_DOCUMENT: ResponseDoc = {
  description:
    'the document is not a workflow (the field is named): unknown fields, a step of no kind, a cycle, a template naming a step it does not follow, a service or workflow that does not exist',
}
const START = {
  body: RunStart,
  responses: {
    400: { description: 'the body is not {"input"?, "id"?}' },
    ...DENIED,
    404: NO_WORKFLOW,
    413: tooLargeDoc,
  },
}

/** The entries, by route. */
export const workflowDocs = {
  create: {
    summary: 'Define a workflow: a DAG of steps (code, services, functions, workflows)',
    tag: TAG,
    body: workflowDocument(config),
    responses: {
      201: { description: 'the workflow, version 1', schema: WorkflowViewSchema },
      400: BAD_DOCUMENT,
      ...DENIED,
      413: tooLargeDoc,
    },
  },
  list: {
    summary: "List a namespace's workflows",
    tag: TAG,
    query: ListQuery,
    responses: {
      200: { description: 'a page of workflows', schema: WorkflowListSchema },
      400: { description: 'namespace, limit or offset is not one it takes' },
      ...deniedDocs('jobs'),
      403: {
        description:
          "no ?namespace= from a caller who is not the admin, or the token does not grant 'jobs' on it",
      },
    },
  },
  get: {
    summary: 'Show a workflow with its current document',
    tag: TAG,
    params: ID,
    responses: {
      200: { description: 'the workflow', schema: WorkflowViewSchema },
      ...DENIED,
      404: NO_WORKFLOW,
    },
  },
  update: {
    summary: "Replace a workflow's document: a new version (runs already started keep theirs)",
    tag: TAG,
    params: ID,
    body: workflowDocument(config),
    responses: {
      200: { description: 'the workflow at its new version', schema: WorkflowViewSchema },
      400: { description: `${BAD_DOCUMENT.description}; or it names another namespace` },
      ...DENIED,
      404: NO_WORKFLOW,
      413: tooLargeDoc,
    },
  },
  delete: {
    summary: 'Delete a workflow (its running runs are cancelled; its runs stay readable)',
    tag: TAG,
    params: ID,
    responses: { 204: { description: 'deleted' }, ...DENIED, 404: NO_WORKFLOW },
  },
  start: {
    summary: 'Start a run',
    description:
      'An empty body starts a run without input. With `id`, starting twice starts once: the second call answers 200 with the first run.',
    tag: TAG,
    params: ID,
    ...START,
    responses: {
      200: { description: 'a run with this `id` existed: that run', schema: RunViewSchema },
      202: { description: 'started (Location: its URL)', schema: RunViewSchema },
      ...START.responses,
    },
  },
  runs: {
    summary: "List a workflow's runs, newest first",
    tag: TAG,
    params: ID,
    query: RunsQuery,
    responses: {
      200: { description: 'a page of runs', schema: RunListSchema },
      400: { description: 'limit or offset is not one it takes' },
      ...DENIED,
      404: NO_WORKFLOW,
    },
  },
  execute: {
    summary: "Start a run (the seed's name for it)",
    tag: TAG,
    params: ID,
    ...START,
    responses: {
      202: { description: 'started', schema: ExecutionStarted },
      ...START.responses,
    },
  },
  read: {
    summary: 'Read a run with its steps; `?wait=` holds the answer until it ends',
    tag: TAG,
    params: RUN,
    query: waitQuery(config),
    responses: {
      200: { description: 'the run', schema: RunViewSchema },
      400: { description: "wait is not a number of seconds up to the host's longest wait" },
      ...DENIED,
      404: NO_RUN,
    },
  },
  cancel: {
    summary: 'Cancel a running run',
    tag: TAG,
    params: RUN,
    responses: {
      200: { description: 'the run, cancelled', schema: RunViewSchema },
      ...DENIED,
      404: NO_RUN,
      409: { description: 'the run already ended (RUN_FINISHED)' },
    },
  },
  retry: {
    summary: 'Retry a failed or cancelled run from its failed steps',
    tag: TAG,
    params: RUN,
    responses: {
      202: { description: 'the run, running again', schema: RunViewSchema },
      ...DENIED,
      404: NO_RUN,
      409: { description: 'the run is running or completed (RUN_NOT_FAILED)' },
    },
  },
  status: {
    summary: 'Read a run as the seed shows it: the run as `execution`, its steps as `jobs`',
    tag: TAG,
    params: RUN,
    responses: {
      200: { description: 'the run', schema: ExecutionStatus },
      ...DENIED,
      404: NO_RUN,
    },
  },
} satisfies Record<string, RouteDoc>
