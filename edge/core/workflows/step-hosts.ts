/**
 * How the engine reaches the rest of the orchestrator: deployed functions called as an HTTP
 * request would call them, and standalone services run as `POST .../run` runs them.
 */
import type { FunctionService } from '../functions/function-service'
import { HttpError } from '../http-error'
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
  return {
    hasService: (namespace, service) => {
      try {
        services.find(namespace, service)
        return true
      } catch {
        return false
      }
    },
    start: async (namespace, run, inputs, ids) => {
      await services.runFor(
        namespace,
        run.service,
        {
          ...(run.arguments && { arguments: run.arguments }),
          ...(run.stdin !== undefined && { stdin: run.stdin }),
          ...(run.requirements && { requirements: run.requirements }),
          ...(run.secrets && { secrets: run.secrets }),
          ...(inputs.stdinFrom && { stdin_from: inputs.stdinFrom }),
          input_files: inputs.files.map((f) => ({
            from_job: f.job,
            outputs: f.outputs,
            ...(f.mount !== undefined && { mount: f.mount }),
          })),
          max_retries: ids.maxRetries,
        },
        { jobId: ids.jobId, workflowRun: ids.workflowRun },
      )
    },
  }
}
