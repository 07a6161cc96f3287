/**
 * Every HTTP call the console makes, in one thin module: the token goes in the Authorization
 * header, errors come back as `ApiError` with the server's code. At merge the lead swaps the
 * body of `call` for the typed openapi-fetch client (shared/client/); the pages do not change.
 */
import type {
  Batch,
  Cron,
  Deployment,
  FilePage,
  FunctionLogs,
  Job,
  JobPage,
  KvPage,
  Peer,
  Secret,
  Submitted,
  Volunteer,
  Workflow,
  WorkflowRun,
  WorkflowSummary,
} from './api-types'
import { storedToken } from './session'

/** An answer that was not 2xx, or no answer at all (code `NETWORK`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Told when the server answers 401: the token is missing, expired or revoked. */
let onUnauthorized: () => void = () => {}
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler
}

interface CallOptions {
  body?: unknown
  raw?: BodyInit
  token?: string | null
  /** Parse the answer as text rather than JSON. */
  text?: boolean
}

async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = options.token === undefined ? storedToken() : options.token
  if (token) headers.authorization = `Bearer ${token}`
  let body: BodyInit | undefined = options.raw
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  let response: Response
  try {
    response = await fetch(path, { method, headers, body })
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the orchestrator did not answer: ${String(err)}`)
  }
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as { error?: string; code?: string }
    if (response.status === 401 && options.token === undefined) onUnauthorized()
    throw new ApiError(
      response.status,
      answer.code ?? `HTTP_${response.status}`,
      answer.error ?? `${method} ${path} answered ${response.status}`,
    )
  }
  if (response.status === 204) return undefined as T
  return (options.text ? await response.text() : await response.json()) as T
}

const enc = encodeURIComponent
/** A namespace path, each segment encoded but the slashes kept. */
const encPath = (path: string) => path.split('/').map(enc).join('/')
/** A function's API path: `/api/deploy/{user}{path}{suffix}`, the root function as `/{user}/`. */
const fnPath = (user: string, path: string, suffix = '') =>
  `/api/deploy/${enc(user)}${path === '/' ? '' : encPath(path)}${suffix || (path === '/' ? '/' : '')}`
const query = (params: Record<string, string | number | undefined>) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '')
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : ''
}

/**
 * Whether the server needs a token, and whether this one is accepted: `admin` (it may list
 * tokens), `valid` (a scoped token: 403 there), `open` (auth is off), `rejected` (401).
 */
export async function probeToken(
  token: string | null,
): Promise<'admin' | 'valid' | 'open' | 'rejected'> {
  try {
    await call('GET', '/api/tokens', { token })
    return token ? 'admin' : 'open'
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return 'valid'
    if (err instanceof ApiError && err.status === 401) return 'rejected'
    throw err
  }
}

interface RawJobPage {
  jobs: Job[]
  next_cursor?: string | null
}

export const api = {
  /** Newest first. Reads `{jobs, next_cursor}` and, until that lands, `{jobs, total, offset}`. */
  async jobs(filter: {
    namespace: string
    status?: string
    batch?: string
    limit?: number
    cursor?: string
  }) {
    const { batch, ...rest } = filter
    // `batch` is part 3's name for the filter, `batch_id` today's; `order=input` lists a batch
    // in input order. Unknown query parameters are ignored, so both can be sent.
    const params = { ...rest, batch, batch_id: batch, order: batch ? 'input' : undefined }
    const page = await call<RawJobPage>('GET', `/api/jobs${query(params)}`)
    return { jobs: page.jobs, next_cursor: page.next_cursor ?? null } satisfies JobPage
  },
  job: (id: string) => call<Job>('GET', `/api/jobs/${enc(id)}`),
  cancelJob: (id: string) => call<Job>('DELETE', `/api/jobs/${enc(id)}`),
  submitJob: (job: { job_type: string; namespace: string; code: string; input_data?: unknown }) =>
    call<Job>('POST', '/api/jobs', { body: job }),
  submitBatch: (batch: { job_type: string; namespace: string; code: string; inputs: unknown[] }) =>
    call<Submitted>('POST', '/api/jobs/batch', { body: batch }),
  batch: (id: string) => call<Batch>('GET', `/api/jobs/batch/${enc(id)}`),

  functions: (user: string) =>
    call<{ deployments: Deployment[] }>('GET', `/api/deploy${query({ user })}`),
  function: (user: string, path: string) => call<Deployment>('GET', fnPath(user, path)),
  rollback: (user: string, path: string) =>
    call<Deployment>('POST', fnPath(user, path, '/rollback')),
  /** The last 1000 invocations (newest first) and 200 printed lines. */
  functionLogs: (user: string, path: string) =>
    call<FunctionLogs>('GET', fnPath(user, path, '/logs?invocations=1000&lines=200')),

  volunteers: () => call<{ volunteers: Volunteer[] }>('GET', '/api/volunteers'),
  peers: () => call<{ peers: Peer[] }>('GET', '/api/peers'),

  kvKeys: (ns: string, cursor?: string) =>
    call<KvPage>('GET', `/api/db/${enc(ns)}${query({ cursor, limit: 100 })}`),
  kvGet: (ns: string, key: string) =>
    call<{ key: string; value: unknown }>('GET', `/api/db/${enc(ns)}/${enc(key)}`),
  kvPut: (ns: string, key: string, value: unknown) =>
    call('PUT', `/api/db/${enc(ns)}/${enc(key)}`, { body: { value } }),
  kvDelete: (ns: string, key: string) => call('DELETE', `/api/db/${enc(ns)}/${enc(key)}`),

  files: (ns: string, prefix: string, cursor?: string) =>
    call<FilePage>('GET', `/api/storage/${enc(ns)}${query({ prefix, cursor })}`),
  fileText: (ns: string, path: string) =>
    call<string>('GET', `/api/storage/${enc(ns)}/${encPath(path)}`, { text: true }),
  filePut: (ns: string, path: string, body: Blob) =>
    call('PUT', `/api/storage/${enc(ns)}/${encPath(path)}`, { raw: body }),
  fileDelete: (ns: string, path: string) =>
    call('DELETE', `/api/storage/${enc(ns)}/${encPath(path)}`),

  workflows: (namespace: string) =>
    call<{ workflows: WorkflowSummary[] }>('GET', `/api/workflows${query({ namespace })}`),
  workflow: (id: string) => call<Workflow>('GET', `/api/workflows/${enc(id)}`),
  workflowRuns: (id: string) =>
    call<{ runs: WorkflowRun[] }>('GET', `/api/workflows/${enc(id)}/runs`),
  workflowRun: (run: string) => call<WorkflowRun>('GET', `/api/workflow-runs/${enc(run)}`),

  crons: (ns: string) => call<{ crons: Cron[] }>('GET', `/api/cron/${enc(ns)}`),
  cronDelete: (ns: string, name: string) => call('DELETE', `/api/cron/${enc(ns)}/${enc(name)}`),

  secrets: (ns: string) => call<{ secrets: Secret[] }>('GET', `/api/secrets/${enc(ns)}`),
  secretPut: (ns: string, name: string, value: string) =>
    call('PUT', `/api/secrets/${enc(ns)}/${enc(name)}`, { body: { value } }),
  secretDelete: (ns: string, name: string) =>
    call('DELETE', `/api/secrets/${enc(ns)}/${enc(name)}`),
}
