/**
 * The OpenAPI entries of the job routes (job-routes.ts). Their schemas follow the config's
 * limits; the document shows the defaults (`npm start`'s).
 */
import { defaultConfig } from '../config'
import { BatchStatus, BatchSubmitAnswer, JobList, JobViewSchema } from './job-view-schema'
import { batchSubmission, jobListQuery, jobSubmission, waitQuery } from './job-schemas'
import type { RouteDoc } from './route-doc'

const config = defaultConfig()
const wait = waitQuery(config)
const tag = 'Jobs'
const JOB_ID = { id: 'The job id' }
const notFound = { description: 'JOB_NOT_FOUND' }
const denied = { description: "FORBIDDEN: the token does not cover the job's namespace" }

export const jobDocs = {
  submit: {
    summary: 'Submit a job',
    description:
      'Runs `code` (js, lua, python) or a WebAssembly module (wasm) on a volunteer. With `?wait=N` the answer comes when the job ends or N seconds pass.',
    tag,
    query: wait,
    body: jobSubmission(config),
    responses: {
      201: {
        description: 'Submitted (with `?wait=`: as it ended, or as the wait left it)',
        schema: JobViewSchema,
      },
      400: { description: 'INVALID_REQUEST: a field is wrong (named in `field`)' },
      403: { description: 'FORBIDDEN: the token does not cover the namespace' },
      404: { description: 'WASM_NOT_FOUND: no module with that wasm_cid' },
      429: { description: 'QUOTA_EXCEEDED: too many pending jobs in the namespace' },
    },
  },
  batch: {
    summary: 'Submit a batch: one job per input',
    description: 'The same code run once per entry of `inputs` (each becomes INPUT).',
    tag,
    query: wait,
    body: batchSubmission(config),
    responses: {
      201: {
        description: 'Submitted (with `?wait=`: with the counts by status)',
        schema: BatchSubmitAnswer,
      },
      400: { description: 'INVALID_REQUEST: a field is wrong (named in `field`)' },
      403: { description: 'FORBIDDEN: the token does not cover the namespace' },
      429: { description: 'QUOTA_EXCEEDED: too many pending jobs in the namespace' },
    },
  },
  status: {
    summary: "A batch's progress",
    description:
      'How many of its jobs are in each state; `?wait=N` waits up to N seconds for all to end. List its jobs with `GET /api/jobs?batch_id=`.',
    tag,
    params: { batchId: 'The batch id' },
    query: wait,
    responses: {
      200: { description: 'Counts by status', schema: BatchStatus },
      403: denied,
      404: { description: 'BATCH_NOT_FOUND' },
    },
  },
  list: {
    summary: 'List jobs',
    description:
      "Newest first (`order=input`: oldest first, a batch's in input order), filtered by status, namespace or batch. Without `namespace`, the admin's only.",
    tag,
    query: jobListQuery,
    responses: {
      200: { description: 'A page of jobs', schema: JobList },
      400: { description: 'INVALID_REQUEST: a query parameter is wrong' },
      403: { description: 'FORBIDDEN: add ?namespace= for one your token covers' },
    },
  },
  get: {
    summary: 'Read a job',
    description:
      'Its status, result, output and error; `?wait=N` waits up to N seconds for it to end.',
    tag,
    params: JOB_ID,
    query: wait,
    responses: {
      200: { description: 'The job', schema: JobViewSchema },
      403: denied,
      404: notFound,
    },
  },
  cancel: {
    summary: 'Cancel a pending or running job',
    tag,
    params: JOB_ID,
    responses: {
      200: { description: 'Cancelled', schema: JobViewSchema },
      403: denied,
      404: notFound,
      409: { description: 'JOB_FINISHED: it already ended' },
    },
  },
} satisfies Record<string, RouteDoc>
