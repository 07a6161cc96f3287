/**
 * How the engine reaches the rest of the orchestrator: deployed functions called as an HTTP
 * request would call them, and standalone services run as `POST .../run` runs them.
 */
import type { FunctionService } from '../functions/function-service'
import { HttpError } from '../http-error'
import type { ServiceRecord } from '../services/service-record'
import type { StandaloneServices } from '../services/standalone-services'
import type { CallOutcome, FunctionCaller, FunctionRequest, ServiceStarter } from './step-work'

/** Workflow calls never leave the process: this host name is only what the handler sees. */
const CALL_ORIGIN = 'http://workflow.invalid'

export function functionCaller(functions: FunctionService): FunctionCaller {
  return {
    hasFunction: (user, path) => {
      try {
        functions.get(user, path)
        return true
      } catch {
        return false
      }
    },
    call: async (user, path, request) => {
      const url = new URL(`/${user}${path === '/' ? '' : path}`, CALL_ORIGIN)
      for (const [key, value] of Object.entries(request.query)) url.searchParams.set(key, value)
      try {
        const response = await functions.invoke(
          user,
          path,
          toRequest(url, request),
          url,
          async () => request.body,
        )
        const headers: Record<string, string> = {}
        response.headers.forEach((value, key) => (headers[key] = value))
        return { ok: true, status: response.status, headers, body: await response.text() }
      } catch (err) {
        return failed(err)
      }
    },
  }
}

function toRequest(url: URL, request: FunctionRequest): Request {
  const hasBody = request.method !== 'GET' && request.body !== ''
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    ...(hasBody && { body: request.body }),
  })
}

function failed(err: unknown): CallOutcome {
  if (err instanceof HttpError)
    return { ok: false, error: { code: err.code, message: err.message } }
  throw err
}

export function serviceStarter(services: StandaloneServices): ServiceStarter {
  const find = (namespace: string, service: number | string): ServiceRecord | undefined =>
    services
      .list(namespace)
      .find((s) => (typeof service === 'number' ? s.id === service : s.name === service))
  return {
    hasService: (namespace, service) => find(namespace, service) !== undefined,
    start: async (namespace, run, inputs, ids) => {
      const service = find(namespace, run.service)
      if (!service)
        throw new Error(
          `the namespace '${namespace}' has no service ${JSON.stringify(run.service)}`,
        )
      if (inputs.stdinFrom || inputs.files.length > 0)
        throw new Error('connections between native steps are not wired yet')
      await services.run(
        service.id,
        {
          ...(run.arguments && { arguments: run.arguments }),
          ...(run.stdin !== undefined && { stdin: run.stdin }),
          max_retries: ids.maxRetries,
        },
        ids.jobId,
      )
    },
  }
}
