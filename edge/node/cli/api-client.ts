/**
 * Every HTTP call the CLI makes, in one module: plain fetch, answers parsed by zod. Kept thin so
 * that it can become a wrapper of the typed OpenAPI client (shared/client/) without touching verbs.
 */
import type { z } from 'zod'
import * as S from './api-schemas'
import { CliError } from './cli-error'

export interface ApiOptions {
  /** The orchestrator's base URL (`--url`, ZERVERLESS_URL). */
  url: string
  /** A bearer token (`--token`, ZERVERLESS_TOKEN). */
  token?: string | undefined
}

type Query = Record<string, string | number | undefined>

interface Call {
  query?: Query
  json?: unknown
  body?: BodyInit
  headers?: Record<string, string>
}

/** A response the CLI passes on as it came (a function's answer, a file). */
export interface RawAnswer {
  status: number
  headers: Headers
  body: ReadableStream<Uint8Array> | null
}

const enc = encodeURIComponent
/** A slash-separated path with each segment encoded. */
const segments = (path: string) => path.split('/').map(enc).join('/')

export type Api = ReturnType<typeof apiClient>

/** The API's calls, bound to one orchestrator and token. */
export function apiClient(options: ApiOptions) {
  const base = options.url.replace(/\/+$/, '')

  async function send(method: string, path: string, call: Call = {}): Promise<Response> {
    const url = new URL(base + path)
    for (const [k, v] of Object.entries(call.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v))
    const headers: Record<string, string> = { ...call.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body = call.body
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.json)
    }
    try {
      return await fetch(url, {
        method,
        headers,
        body: body ?? null,
        ...(body instanceof ReadableStream && { duplex: 'half' }),
      } as RequestInit)
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      throw new CliError(
        'UNREACHABLE',
        `cannot reach ${base} (${cause?.code ?? cause?.message ?? (err as Error).message}); is the server running? set --url or ZERVERLESS_URL`,
      )
    }
  }

  /** An error answer as a CliError carrying the server's own message and code. */
  async function failure(res: Response): Promise<CliError> {
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    const body = S.ApiErrorBody.safeParse(parsed)
    if (body.success) return new CliError(body.data.code, body.data.error, res.status)
    return new CliError('HTTP_ERROR', text.slice(0, 500) || res.statusText, res.status)
  }

  async function json<T extends z.ZodType>(
    schema: T,
    method: string,
    path: string,
    call?: Call,
  ): Promise<z.infer<T>> {
    const res = await send(method, path, call)
    if (!res.ok) throw await failure(res)
    const answer: unknown = res.status === 204 ? {} : await res.json().catch(() => undefined)
    const parsed = schema.safeParse(answer)
    if (!parsed.success)
      throw new CliError(
        'BAD_RESPONSE',
        `unexpected answer from ${method} ${path}: ${parsed.error.message}`,
      )
    return parsed.data
  }

  async function empty(method: string, path: string, call?: Call): Promise<void> {
    const res = await send(method, path, call)
    if (!res.ok) throw await failure(res)
    await res.body?.cancel()
  }

  async function raw(method: string, path: string, call?: Call, ok = false): Promise<RawAnswer> {
    const res = await send(method, path, call)
    if (ok && !res.ok) throw await failure(res)
    return { status: res.status, headers: res.headers, body: res.body }
  }

  return {
    // Jobs
    submitJob: (body: object, wait?: number) =>
      json(S.JobView, 'POST', '/api/jobs', { json: body, query: { wait } }),
    job: (id: string, wait?: number) =>
      json(S.JobView, 'GET', `/api/jobs/${enc(id)}`, { query: { wait } }),
    jobs: (query: Query) => json(S.JobList, 'GET', '/api/jobs', { query }),
    cancelJob: (id: string) => json(S.JobView, 'DELETE', `/api/jobs/${enc(id)}`),
    submitBatch: (body: object) =>
      json(S.BatchSubmitted, 'POST', '/api/jobs/batch', { json: body }),
    batch: (id: string, wait?: number) =>
      json(S.BatchCounts, 'GET', `/api/jobs/batch/${enc(id)}`, { query: { wait } }),

    // Functions
    deploy: (user: string, path: string, body: object) =>
      json(S.Deployment, 'POST', `/api/deploy/${enc(user)}/${segments(path)}`, { json: body }),
    deployment: (user: string, path: string) =>
      json(S.Deployment, 'GET', `/api/deploy/${enc(user)}/${segments(path)}`),
    deployments: (user?: string) =>
      json(S.DeploymentList, 'GET', '/api/deploy', { query: { user } }),
    rollback: (user: string, path: string) =>
      json(S.Deployment, 'POST', `/api/deploy/${enc(user)}/${segments(path)}/rollback`),
    undeploy: (user: string, path: string) =>
      empty('DELETE', `/api/deploy/${enc(user)}/${segments(path)}`),
    functionLogs: (user: string, path: string, invocations: number) =>
      json(S.FunctionLogs, 'GET', `/api/deploy/${enc(user)}/${segments(path)}/logs`, {
        query: { invocations, lines: 100 },
      }),
    invoke: (user: string, path: string, method: string, body?: string, query?: string) =>
      raw(method, `/${enc(user)}/${segments(path)}${query === undefined ? '' : `?${query}`}`, {
        ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }),
      }),

    // KV
    kvGet: (ns: string, key: string) => json(S.KvEntry, 'GET', `/api/db/${enc(ns)}/${enc(key)}`),
    kvPut: (ns: string, key: string, value: unknown, ttl?: number) =>
      json(S.KvPut, 'PUT', `/api/db/${enc(ns)}/${enc(key)}`, {
        json: { value, ...(ttl !== undefined && { ttl }) },
      }),
    kvList: (ns: string, query: Query) => json(S.KvList, 'GET', `/api/db/${enc(ns)}/`, { query }),
    kvDelete: (ns: string, key: string) => empty('DELETE', `/api/db/${enc(ns)}/${enc(key)}`),

    // Storage
    storagePut: (ns: string, path: string, body: BodyInit, size: number, visibility?: string) =>
      json(S.StoredFile, 'PUT', `/api/storage/${enc(ns)}/${segments(path)}`, {
        body,
        headers: { 'content-length': String(size) },
        query: { visibility },
      }),
    storageGet: (ns: string, path: string) =>
      raw('GET', `/api/storage/${enc(ns)}/${segments(path)}`, {}, true),
    storageList: (ns: string, query: Query) =>
      json(S.FileList, 'GET', `/api/storage/${enc(ns)}/`, { query }),
    storageRemove: (ns: string, path: string) =>
      empty('DELETE', `/api/storage/${enc(ns)}/${segments(path)}`),

    // Tokens
    createToken: (body: object) => json(S.TokenView, 'POST', '/api/tokens', { json: body }),
    tokens: () => json(S.TokenList, 'GET', '/api/tokens'),
    revokeToken: (id: string) => empty('DELETE', `/api/tokens/${enc(id)}`),

    // Secrets
    putSecret: (ns: string, name: string, value: string) =>
      json(S.SecretView, 'PUT', `/api/secrets/${enc(ns)}/${enc(name)}`, { json: { value } }),
    secrets: (ns: string) => json(S.SecretList, 'GET', `/api/secrets/${enc(ns)}`),
    deleteSecret: (ns: string, name: string) =>
      empty('DELETE', `/api/secrets/${enc(ns)}/${enc(name)}`),

    /** The later issues' resources (cron, workflows, gitops), as JSON objects. */
    resource: (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      body?: unknown,
      query?: Query,
    ) =>
      json(S.AnyObject, method, path, {
        ...(body !== undefined && { json: body }),
        query: query ?? {},
      }),
    remove: (path: string) => empty('DELETE', path),
  }
}
