/**
 * Every HTTP call the CLI makes, in one module, through the typed client generated from the
 * OpenAPI document (shared/client/): paths, parameters and bodies are checked against it at build
 * time. Only a function's invocation stays on plain fetch (see `invoke`).
 */
import { createZerverlessClient } from '../../../shared/client/client'
import { badResponse, dataOf, doneOf, failureOf, reachingFetch } from './api-answer'
import { laterCalls } from './api-later'
import type { BodyOf, FunctionLogs, FunctionView, StoredFile } from './api-views'

export interface ApiOptions {
  /** The orchestrator's base URL (`--url`, ZERVERLESS_URL). */
  url: string
  /** A bearer token (`--token`, ZERVERLESS_TOKEN). */
  token?: string | undefined
}

/** A response the CLI passes on as it came (a function's answer, a file). */
export interface RawAnswer {
  status: number
  headers: Headers
  body: ReadableStream<Uint8Array> | null
}

/** The document types every query value as a string; the CLI's flags are numbers too. */
const str = (v: string | number | undefined) => (v === undefined ? undefined : String(v))

type Query = Record<string, string | number | undefined>
const strings = (query: Query) =>
  Object.fromEntries(Object.entries(query).map(([k, v]) => [k, str(v)]))

export type Api = ReturnType<typeof apiClient>

/** The API's calls, bound to one orchestrator and token. */
export function apiClient(options: ApiOptions) {
  const base = options.url.replace(/\/+$/, '')
  const reach = reachingFetch(base)
  const client = createZerverlessClient({ url: base, token: options.token, fetch: reach })
  const fn = (user: string, path: string) => ({ params: { path: { user, path } } })

  return {
    // Jobs
    submitJob: (body: BodyOf<'/api/jobs', 'post'>, wait?: number) =>
      dataOf(
        'POST /api/jobs',
        client.POST('/api/jobs', { body, params: { query: { wait: str(wait) } } }),
      ),
    job: (id: string, wait?: number) =>
      dataOf(
        `GET /api/jobs/${id}`,
        client.GET('/api/jobs/{id}', { params: { path: { id }, query: { wait: str(wait) } } }),
      ),
    jobs: (query: {
      namespace?: string | undefined
      status?: string | undefined
      batch_id?: string | undefined
      order?: string | undefined
      limit?: number | undefined
      offset?: number | undefined
    }) => dataOf('GET /api/jobs', client.GET('/api/jobs', { params: { query: strings(query) } })),
    cancelJob: (id: string) =>
      dataOf(
        `DELETE /api/jobs/${id}`,
        client.DELETE('/api/jobs/{id}', { params: { path: { id } } }),
      ),
    submitBatch: (body: BodyOf<'/api/jobs/batch', 'post'>) =>
      dataOf('POST /api/jobs/batch', client.POST('/api/jobs/batch', { body })),
    batch: (batchId: string, wait?: number) =>
      dataOf(
        `GET /api/jobs/batch/${batchId}`,
        client.GET('/api/jobs/batch/{batchId}', {
          params: { path: { batchId }, query: { wait: str(wait) } },
        }),
      ),

    // Functions
    deploy: (user: string, path: string, body: BodyOf<'/api/deploy/{user}/{path}', 'post'>) =>
      dataOf(
        `POST /api/deploy/${user}/${path}`,
        client.POST('/api/deploy/{user}/{path}', { ...fn(user, path), body }),
      ),
    deployment: async (user: string, path: string): Promise<FunctionView> => {
      const what = `GET /api/deploy/${user}/${path}`
      const read = await dataOf(what, client.GET('/api/deploy/{user}/{path}', fn(user, path)))
      // One route entry answers a function or its logs (one wildcard); this call wants the first.
      if (!('versions' in read)) throw badResponse(what, 'no versions')
      return read
    },
    deployments: (user?: string) =>
      dataOf('GET /api/deploy', client.GET('/api/deploy', { params: { query: { user } } })),
    rollback: (user: string, path: string) =>
      dataOf(
        `POST /api/deploy/${user}/${path}/rollback`,
        client.POST('/api/deploy/{user}/{path}', fn(user, `${path}/rollback`)),
      ),
    undeploy: (user: string, path: string) =>
      doneOf(
        `DELETE /api/deploy/${user}/${path}`,
        client.DELETE('/api/deploy/{user}/{path}', fn(user, path)),
      ),
    functionLogs: async (
      user: string,
      path: string,
      invocations: number,
    ): Promise<FunctionLogs> => {
      const what = `GET /api/deploy/${user}/${path}/logs`
      const read = await dataOf(
        what,
        client.GET('/api/deploy/{user}/{path}', {
          params: {
            path: { user, path: `${path}/logs` },
            query: { invocations: String(invocations), lines: '100' },
          },
        }),
      )
      if (!('invocations' in read)) throw badResponse(what, 'no invocations')
      return read
    },
    /**
     * A function's answer as it came, whatever its status. Plain fetch (same base URL, token and
     * UNREACHABLE): openapi-fetch reads a non-2xx body as an error, and this body is the
     * function's own, passed on byte for byte; the method is the user's.
     */
    invoke: async (
      user: string,
      path: string,
      method: string,
      body?: string,
      query?: string,
    ): Promise<RawAnswer> => {
      const url = `${base}/${encodeURIComponent(user)}/${path.split('/').map(encodeURIComponent).join('/')}${query === undefined ? '' : `?${query}`}`
      const headers: Record<string, string> = {}
      if (options.token) headers.authorization = `Bearer ${options.token}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await reach(new Request(url, { method, headers, body: body ?? null }))
      return { status: res.status, headers: res.headers, body: res.body }
    },

    // KV
    kvGet: (ns: string, key: string) =>
      dataOf(
        `GET /api/db/${ns}/${key}`,
        client.GET('/api/db/{ns}/{key}', { params: { path: { ns, key } } }),
      ),
    kvPut: (ns: string, key: string, value: unknown, ttl?: number) =>
      dataOf(
        `PUT /api/db/${ns}/${key}`,
        client.PUT('/api/db/{ns}/{key}', {
          params: { path: { ns, key } },
          body: { value, ...(ttl !== undefined && { ttl }) },
        }),
      ),
    kvList: (ns: string, query: Query) =>
      dataOf(
        `GET /api/db/${ns}`,
        client.GET('/api/db/{ns}', { params: { path: { ns }, query: strings(query) } }),
      ),
    kvDelete: (ns: string, key: string) =>
      doneOf(
        `DELETE /api/db/${ns}/${key}`,
        client.DELETE('/api/db/{ns}/{key}', { params: { path: { ns, key } } }),
      ),

    // Storage
    storagePut: async (
      ns: string,
      path: string,
      body: ReadableStream<Uint8Array>,
      size: number,
      visibility?: 'public' | 'private',
    ): Promise<StoredFile> => {
      const what = `PUT /api/storage/${ns}/${path}`
      const stored = await dataOf(
        what,
        client.PUT('/api/storage/{ns}/{path}', {
          params: { path: { ns, path }, query: { visibility } },
          // The file streams as it is read (a progress bar counts it): no JSON, no content type.
          body: body as unknown as string,
          bodySerializer: (stream: unknown) => stream as BodyInit,
          headers: { 'content-length': String(size), 'Content-Type': null },
          // Node's fetch streams a request body only half-duplex, and says so.
          ...({ duplex: 'half' } as object),
        }),
      )
      // A 200 is a visibility rule's answer (a path ending in `/`), not a file.
      if (!('size' in stored)) throw badResponse(what, 'not a stored file')
      return stored
    },
    storageGet: async (ns: string, path: string): Promise<RawAnswer> => {
      const answer = await client.GET('/api/storage/{ns}/{path}', {
        params: { path: { ns, path } },
        parseAs: 'stream',
      })
      if (!answer.response.ok) throw failureOf(answer.error, answer.response)
      const { response } = answer
      return { status: response.status, headers: response.headers, body: answer.data ?? null }
    },
    storageList: (ns: string, query: Query) =>
      dataOf(
        `GET /api/storage/${ns}`,
        client.GET('/api/storage/{ns}', { params: { path: { ns }, query: strings(query) } }),
      ),
    storageRemove: (ns: string, path: string) =>
      doneOf(
        `DELETE /api/storage/${ns}/${path}`,
        client.DELETE('/api/storage/{ns}/{path}', { params: { path: { ns, path } } }),
      ),

    // Tokens
    createToken: (body: BodyOf<'/api/tokens', 'post'>) =>
      dataOf('POST /api/tokens', client.POST('/api/tokens', { body })),
    tokens: () => dataOf('GET /api/tokens', client.GET('/api/tokens')),
    revokeToken: (id: string) =>
      doneOf(
        `DELETE /api/tokens/${id}`,
        client.DELETE('/api/tokens/{id}', { params: { path: { id } } }),
      ),

    // Secrets
    putSecret: (ns: string, name: string, value: string) =>
      dataOf(
        `PUT /api/secrets/${ns}/${name}`,
        client.PUT('/api/secrets/{ns}/{name}', { params: { path: { ns, name } }, body: { value } }),
      ),
    secrets: (ns: string) =>
      dataOf(
        `GET /api/secrets/${ns}`,
        client.GET('/api/secrets/{ns}', { params: { path: { ns } } }),
      ),
    deleteSecret: (ns: string, name: string) =>
      doneOf(
        `DELETE /api/secrets/${ns}/${name}`,
        client.DELETE('/api/secrets/{ns}/{name}', { params: { path: { ns, name } } }),
      ),

    ...laterCalls(client),
  }
}
