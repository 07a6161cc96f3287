/** Deploying, finding and invoking functions: what the deploy API and `/{user}/{path}` share. */
import type { JsonObject } from '../../../shared/protocol/json'
import { HttpError } from '../http-error'
import type { InvocationTable } from '../jobs/invocations'
import type { Scheduler } from '../jobs/scheduler'
import type { Metrics } from '../observability/metrics'
import type { SecretOpener } from '../jobs/scheduler-types'
import type { SecretValues } from '../secrets/secret-service'
import { checkStoragePath } from '../storage/storage-path'
import {
  checkFunctionCode,
  findCodeProblem,
  type CodeCompiler,
  type CodeProblem,
} from './code-check'
import type { Deployment, DeploymentStore } from './deployment-store'
import { asFunctionError } from './function-error'
import { toHttpResponse } from './function-response'
import type { FunctionLogs } from './function-logs'
import type { InvocationError } from './invocation-log'
import type { FunctionRouter } from './function-router'

/** Top-level names the orchestrator itself answers on; no user may deploy under them. */
export const RESERVED_USERS = new Set([
  'api',
  'static',
  'ws',
  'volunteer',
  'health',
  'info',
  'stats',
  'metrics',
  'assets',
  'favicon.ico',
  'robots.txt',
  'manifest.webmanifest',
  'sw.js',
])
/** Last path segments the deploy API uses for itself. */
const RESERVED_LAST = new Set(['rollback', 'logs', 'versions'])

const SANDBOX_POLICY = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads'

export interface DeployRequest {
  runtime: Deployment['runtime']
  code: string
  wasm_cid: string | null
  timeout_ms: number
  executor: Deployment['executor']
  untrusted_db: Deployment['untrusted_db']
  /** Names of the namespace's secrets each call is sent (absent: none); checked by the caller. */
  secrets?: Deployment['secrets']
}

/** What deploying and invoking use. */
export interface FunctionServiceDeps {
  store: DeploymentStore
  router: FunctionRouter
  logs: FunctionLogs
  /** Code is kept once by hash, beside jobs' code. */
  code: Pick<Scheduler, 'codeOf'>
  /** Where calls wait for a volunteer that serves the user's namespace. */
  invocations: Pick<InvocationTable, 'invoke'>
  metrics: Pick<Metrics, 'functionInvoked'>
  sha256: (text: string) => string | Promise<string>
  /** Resolves once what was written so far survives a crash. */
  durable: () => Promise<void>
  /** Opens the secrets a function declares, for each call. */
  secrets?: SecretOpener | undefined
  /** Compiles code without running it, where the host can (see code-check.ts). */
  compile?: CodeCompiler | undefined
}

export class FunctionService {
  readonly store: DeploymentStore
  readonly logs: FunctionLogs
  readonly #deps: FunctionServiceDeps

  constructor(deps: FunctionServiceDeps) {
    this.store = deps.store
    this.logs = deps.logs
    this.#deps = deps
  }

  /** "/hello" from "hello"; "/" for the user's root. Throws a 400 naming what is wrong. */
  static normalizePath(user: string, rest: string): string {
    if (RESERVED_USERS.has(user))
      throw new HttpError(
        400,
        'INVALID_REQUEST',
        `'${user}' is reserved by the orchestrator; deploy under another user`,
        { field: 'user' },
      )
    if (rest === '') return '/'
    checkStoragePath(rest)
    const last = rest.split('/').at(-1) as string
    if (RESERVED_LAST.has(last))
      throw new HttpError(
        400,
        'INVALID_REQUEST',
        `a deployment path may not end in '${last}' (the deploy API uses it)`,
        { field: 'path' },
      )
    return `/${rest}`
  }

  /**
   * Stores `request` as the function's new version, once its code compiles and names `handle`
   * (a 400 INVALID_FUNCTION with the guest's message and line otherwise).
   */
  async deploy(user: string, path: string, request: DeployRequest): Promise<Deployment> {
    await checkFunctionCode(request.runtime, request.code, this.#deps.compile)
    const deployment = this.store.deploy(user, path, {
      ...request,
      code_hash: await this.#deps.sha256(request.code),
    })
    this.#deps.router.put(deployment)
    return deployment
  }

  /** What `deploy` would refuse `code` for, without deploying (GitOps checks a commit with it). */
  checkCode(runtime: Deployment['runtime'], code: string): Promise<CodeProblem | undefined> {
    return findCodeProblem(runtime, code, this.#deps.compile)
  }

  rollback(user: string, path: string): Deployment {
    if (!this.store.get(user, path)) throw notFound(user, path)
    const deployment = this.store.rollback(user, path)
    if (!deployment)
      throw new HttpError(
        409,
        'NO_PREVIOUS_VERSION',
        `/${user}${path} has no earlier version to roll back to`,
      )
    this.#deps.router.put(deployment)
    return deployment
  }

  remove(user: string, path: string): void {
    if (!this.store.remove(user, path)) throw notFound(user, path)
    this.#deps.router.remove(user, path)
    this.logs.clear(user, path)
  }

  get(user: string, path: string): Deployment {
    const deployment = this.store.get(user, path)
    if (!deployment) throw notFound(user, path)
    return deployment
  }

  code(deployment: Deployment): string {
    return this.#deps.code.codeOf(deployment.code_hash)
  }

  /**
   * Runs the function that answers `request` on a worker and returns its response. `path` is the
   * request's path after the user, decoded ("/" or "/a/b"); `url` and `body` (read once a
   * function is found there) are what the handler sees.
   */
  async invoke(
    user: string,
    path: string,
    request: Request,
    url: URL,
    body: () => Promise<string>,
  ): Promise<Response> {
    const deployment = this.#deps.router.match(user, path)
    if (!deployment)
      throw new HttpError(
        404,
        'FUNCTION_NOT_FOUND',
        `no function is deployed at /${user}${path === '/' ? '' : path}`,
      )
    const started = Date.now()
    try {
      const response = await this.#call(deployment, request, url, body)
      this.#recordCall(deployment, started, response.status)
      return response
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500
      this.#recordCall(deployment, started, status, callError(err))
      throw err
    }
  }

  /** One call's record in the function's invocation log: every call, failed or not. */
  #recordCall(
    deployment: Deployment,
    started: number,
    status: number,
    error?: InvocationError,
  ): void {
    const now = Date.now()
    this.logs.calls.record(deployment.user, deployment.path, {
      at: now,
      status,
      duration_ms: now - started,
      version: deployment.version,
      ...(error && { error }),
    })
  }

  async #call(
    deployment: Deployment,
    request: Request,
    url: URL,
    body: () => Promise<string>,
  ): Promise<Response> {
    const { user } = deployment
    const secretValues = await this.#openSecrets(deployment)
    const outcome = await this.#deps.invocations
      .invoke({
        runtime: deployment.runtime,
        namespace: user,
        code: this.code(deployment),
        wasm_cid: deployment.wasm_cid,
        timeout_ms: deployment.timeout_ms,
        request: requestObject(request, url, await body()),
        executor: deployment.executor,
        untrusted_db: deployment.untrusted_db,
        // A call with secrets runs in a fresh sandbox: no warm context keeps values (or a value
        // since replaced) between calls.
        ...(secretValues
          ? { secretValues }
          : {
              function: {
                path: deployment.path,
                version: deployment.version,
                deployed_at: deployment.deployed_at,
              },
            }),
      })
      // What the handler wrote to its database is on disk before anyone sees its answer.
      .finally(() => this.#deps.durable())
    this.logs.append(user, deployment.path, outcome.output)
    if (!outcome.ok) {
      this.#deps.metrics.functionInvoked(outcome.status)
      const error = asFunctionError(outcome.error)
      this.logs.append(user, deployment.path, `[${outcome.code}] ${error.message}`)
      const headers = outcome.status === 503 ? { 'retry-after': '5' } : undefined
      throw new HttpError(outcome.status, outcome.code, error.message, {
        details: error,
        ...(headers && { headers }),
      })
    }
    const translated = toHttpResponse(outcome.result, SANDBOX_POLICY)
    if (!translated.ok) {
      this.#deps.metrics.functionInvoked(502)
      this.logs.append(user, deployment.path, `[BAD_FUNCTION_RESPONSE] ${translated.problem}`)
      throw new HttpError(502, 'BAD_FUNCTION_RESPONSE', translated.problem)
    }
    this.#deps.metrics.functionInvoked(translated.response.status)
    return translated.response
  }

  /** The values of the secrets a function declares; one deleted or unreadable fails the call (502). */
  async #openSecrets(deployment: Deployment): Promise<SecretValues | undefined> {
    if (deployment.secrets.length === 0) return undefined
    const opened = this.#deps.secrets
      ? await this.#deps.secrets.open(deployment.user, deployment.secrets)
      : undefined
    if (opened?.ok) return opened.values
    const error = opened?.error ?? {
      code: 'SECRETS_UNAVAILABLE',
      message:
        'this orchestrator has no secrets key, so the secrets this function declares cannot be opened',
    }
    this.#deps.metrics.functionInvoked(502)
    this.logs.append(deployment.user, deployment.path, `[${error.code}] ${error.message}`)
    throw new HttpError(502, error.code, error.message)
  }
}

/** The handler's argument: method, path, query (first value of each key), headers (lower case), body text. */
function requestObject(request: Request, url: URL, body: string): JsonObject {
  const query: Record<string, string> = {}
  for (const [key, value] of url.searchParams) if (!(key in query)) query[key] = value
  const headers: Record<string, string> = {}
  request.headers.forEach((value, key) => (headers[key] = value))
  return { method: request.method, path: url.pathname, query, headers, body }
}

/** What the invocation log keeps of a failed call: the caller's code, the message, the line. */
function callError(err: unknown): InvocationError {
  if (!(err instanceof HttpError))
    return {
      code: 'INTERNAL',
      message: 'internal error; the operator can find details in the server log',
    }
  const details = err.extra.details as { line?: unknown } | undefined
  const line = typeof details?.line === 'number' ? details.line : undefined
  return { code: err.code, message: err.message, ...(line !== undefined && { line }) }
}

const notFound = (user: string, path: string) =>
  new HttpError(
    404,
    'DEPLOYMENT_NOT_FOUND',
    `nothing is deployed at /${user}${path === '/' ? '' : path}`,
  )
