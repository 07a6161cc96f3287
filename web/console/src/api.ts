/**
 * Every HTTP call the console makes, in one module, on the typed client (see api-call.ts): paths,
 * parameters and bodies are checked against the OpenAPI document when the console is built.
 */
import { ApiError, client, dataOf } from './api-call'
import type { Deployment, FunctionLogs, JobPage } from './api-types'

export { ApiError, whenUnauthorized } from './api-call'

/** A function's address: `{user}` and its path under it, the root function as `''`. */
const fn = (user: string, path: string, suffix = '') => ({
  params: { path: { user, path: `${path.replace(/^\/+/, '')}${suffix}` } },
})

/**
 * Whether the server needs a token, and whether this one is accepted: `admin` (it may list
 * tokens), `valid` (a scoped token: 403 there), `open` (auth is off), `rejected` (401).
 */
export async function probeToken(
  token: string | null,
): Promise<'admin' | 'valid' | 'open' | 'rejected'> {
  try {
    await dataOf(client(token).GET('/api/tokens'))
    return token ? 'admin' : 'open'
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return 'valid'
    if (err instanceof ApiError && err.status === 401) return 'rejected'
    throw err
  }
}

/** What a job runs: source code, or a wasm module by content id with its argv. */
type JobSource =
  { job_type: string; code: string } | { job_type: 'wasm'; wasm_cid: string; args?: string[] }

/** The document's query values are strings. */
const str = (v: number | undefined) => (v === undefined ? undefined : String(v))
/** An empty filter is no filter. */
const given = (v: string | undefined) => (v === '' ? undefined : v)

export const api = {
  /** Newest first (a batch: in input order); the cursor is the offset of the next page. */
  async jobs(filter: {
    namespace: string
    status?: string
    batch?: string
    limit?: number
    cursor?: string
  }): Promise<JobPage> {
    const offset = Number(filter.cursor ?? 0)
    const page = await dataOf(
      client().GET('/api/jobs', {
        params: {
          query: {
            namespace: given(filter.namespace),
            status: given(filter.status),
            batch_id: given(filter.batch),
            order: filter.batch ? 'input' : undefined,
            limit: str(filter.limit),
            offset: offset ? String(offset) : undefined,
          },
        },
      }),
    )
    const next = offset + page.jobs.length
    return { jobs: page.jobs, next_cursor: next < page.total ? String(next) : null }
  },
  job: (id: string) => dataOf(client().GET('/api/jobs/{id}', { params: { path: { id } } })),
  /** One of a native job's output files, as bytes. */
  jobOutput: (id: string, name: string) =>
    dataOf(
      client().GET('/api/jobs/{id}/outputs/{path}', {
        params: { path: { id, path: name } },
        parseAs: 'blob',
      }),
    ),
  cancelJob: (id: string) =>
    dataOf(client().DELETE('/api/jobs/{id}', { params: { path: { id } } })),
  /** Stores a WebAssembly module once; jobs name it by the content id answered. */
  uploadWasm: (module: Blob) =>
    dataOf(
      client().POST('/api/wasm', {
        body: module as unknown as string,
        bodySerializer: (bytes: unknown) => bytes as Blob,
        headers: { 'Content-Type': 'application/wasm' },
      }),
    ),
  submitJob: (job: JobSource & { namespace: string; input_data?: unknown }) =>
    dataOf(
      client().POST('/api/jobs', {
        // The page parses the input as JSON; the server says when it is not an object.
        body: { ...job, input_data: job.input_data as Record<string, unknown> | undefined },
      }),
    ),
  submitBatch: (batch: JobSource & { namespace: string; inputs: unknown[] }) =>
    dataOf(
      client().POST('/api/jobs/batch', {
        body: { ...batch, inputs: batch.inputs as (Record<string, unknown> | null)[] },
      }),
    ),
  batch: (batchId: string) =>
    dataOf(client().GET('/api/jobs/batch/{batchId}', { params: { path: { batchId } } })),

  functions: (user: string) => dataOf(client().GET('/api/deploy', { params: { query: { user } } })),
  /** A function with its kept versions. */
  function: async (user: string, path: string) =>
    (await dataOf(client().GET('/api/deploy/{user}/{path}', fn(user, path)))) as Deployment,
  rollback: (user: string, path: string) =>
    dataOf(client().POST('/api/deploy/{user}/{path}', fn(user, path, '/rollback'))),
  /** The last 1000 invocations (newest first) and 200 printed lines. */
  functionLogs: async (user: string, path: string) =>
    (await dataOf(
      client().GET('/api/deploy/{user}/{path}', {
        params: {
          ...fn(user, path, '/logs').params,
          query: { invocations: '1000', lines: '200' },
        },
      }),
    )) as FunctionLogs,

  volunteers: () => dataOf(client().GET('/api/volunteers')),
  peers: () => dataOf(client().GET('/api/peers')),

  kvKeys: (ns: string, cursor?: string) =>
    dataOf(
      client().GET('/api/db/{ns}', { params: { path: { ns }, query: { cursor, limit: '100' } } }),
    ),
  kvGet: (ns: string, key: string) =>
    dataOf(client().GET('/api/db/{ns}/{key}', { params: { path: { ns, key } } })),
  kvPut: (ns: string, key: string, value: unknown) =>
    dataOf(client().PUT('/api/db/{ns}/{key}', { params: { path: { ns, key } }, body: { value } })),
  kvDelete: (ns: string, key: string) =>
    dataOf(client().DELETE('/api/db/{ns}/{key}', { params: { path: { ns, key } } })),

  files: (ns: string, prefix: string, cursor?: string) =>
    dataOf(
      client().GET('/api/storage/{ns}', {
        params: { path: { ns }, query: { prefix: given(prefix), cursor } },
      }),
    ),
  fileText: (ns: string, path: string) =>
    dataOf(
      client().GET('/api/storage/{ns}/{path}', {
        params: { path: { ns, path } },
        parseAs: 'text',
      }),
    ),
  fileBlob: (ns: string, path: string) =>
    dataOf(
      client().GET('/api/storage/{ns}/{path}', {
        params: { path: { ns, path } },
        parseAs: 'blob',
      }),
    ),
  filePut: (ns: string, path: string, body: Blob) =>
    dataOf(
      client().PUT('/api/storage/{ns}/{path}', {
        params: { path: { ns, path } },
        // The file goes as it is, with the browser's type for it (none: the server guesses).
        body: body as unknown as string,
        bodySerializer: (file: unknown) => file as Blob,
        headers: { 'Content-Type': body.type || null },
      }),
    ),
  fileDelete: (ns: string, path: string) =>
    dataOf(client().DELETE('/api/storage/{ns}/{path}', { params: { path: { ns, path } } })),

  workflows: (namespace: string) =>
    dataOf(client().GET('/api/workflows', { params: { query: { namespace: given(namespace) } } })),
  workflow: (id: string) =>
    dataOf(client().GET('/api/workflows/{id}', { params: { path: { id } } })),
  workflowRuns: (id: string) =>
    dataOf(client().GET('/api/workflows/{id}/runs', { params: { path: { id } } })),
  workflowRun: (run: string) =>
    dataOf(client().GET('/api/workflow-runs/{run}', { params: { path: { run } } })),

  crons: (ns: string) => dataOf(client().GET('/api/cron/{ns}', { params: { path: { ns } } })),
  cronDelete: (ns: string, name: string) =>
    dataOf(client().DELETE('/api/cron/{ns}/{name}', { params: { path: { ns, name } } })),

  secrets: (ns: string) => dataOf(client().GET('/api/secrets/{ns}', { params: { path: { ns } } })),
  secretPut: (ns: string, name: string, value: string) =>
    dataOf(
      client().PUT('/api/secrets/{ns}/{name}', { params: { path: { ns, name } }, body: { value } }),
    ),
  secretDelete: (ns: string, name: string) =>
    dataOf(client().DELETE('/api/secrets/{ns}/{name}', { params: { path: { ns, name } } })),
}
