/** A tiny JSON client for the API under test, over HTTP to a process or straight into an app. */
export interface ApiResponse<T = any> {
  status: number
  body: T
  headers: Headers
}

/** Sends a request for a path (`/api/jobs`); `fetch` on a base URL, or `app.request` in process. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>

/** A base URL (`http://127.0.0.1:8000`) becomes a fetch there; a fetcher is used as it is. */
export function fetcherOf(target: string | Fetcher): Fetcher {
  return typeof target === 'string' ? (path, init) => fetch(target + path, init) : target
}

export type ApiClient = ReturnType<typeof api>

export function api(target: string | Fetcher) {
  const send = fetcherOf(target)
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> => {
    const res = await send(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body: parsed as T, headers: res.headers }
  }
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, body),
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body),
    delete: <T = any>(path: string) => call<T>('DELETE', path),
    /** Submits a job and waits for it to end. */
    async run(job: Record<string, unknown>, waitSeconds = 20) {
      const created = await call('POST', '/api/jobs', job)
      if (created.status !== 201)
        throw new Error(`submit failed: ${created.status} ${JSON.stringify(created.body)}`)
      return (await call('GET', `/api/jobs/${created.body.id}?wait=${waitSeconds}`)).body
    },
  }
}
