/**
 * `/api/deploy`: deploy a function at `/{user}/{path}` (each deploy is a new version), list, show,
 * delete, roll back, and read its logs. Invocation itself is function-routes.ts, mounted last.
 */
import type { Context } from 'hono'
import { z } from 'zod'
import { guardNamespace, requireOperator, requireRight } from '../auth/access'
import { CID_PATTERN } from '../../../shared/protocol/cid'
import {
  Namespace,
  NAMESPACE_PATTERN,
  normalizeRuntime,
  RUNTIMES,
} from '../../../shared/protocol/job'
import type { Deployment } from '../functions/deployment-store'
import { FunctionService } from '../functions/function-service'
import { ExecutorField, UntrustedDbField } from '../jobs/executor-policy'
import type { Scheduler } from '../jobs/scheduler'
import { badRequest, HttpError } from '../http-error'
import { combineList } from '../rooms/combine-answers'
import { everyRoom, namespaceAt, namespaceInQuery } from '../rooms/owner'
import { acceptModule, decodeBase64, type ModuleIntake } from '../wasm/module-intake'
import { SecretNames } from '../secrets/secret-names'
import { checkDeclared, type SecretService } from '../secrets/secret-service'
import { joinedPath, requestSegments } from './path-segments'
import { parseBody, parseQuery } from './request-body'
import { RouteTable } from './route-table'
import { DeploymentList, DeploymentOrLogs, DeploymentView } from './function-schemas'

const DeployBody = z
  .strictObject({
    runtime: z.string({ error: 'must be one of lua, js, python, wasm' }).transform((name, ctx) => {
      const runtime = normalizeRuntime(name)
      if (!runtime) {
        ctx.issues.push({
          code: 'custom',
          input: name,
          message: `must be one of ${RUNTIMES.join(', ')}; got '${name}'`,
        })
        return z.NEVER
      }
      return runtime
    }),
    code: z
      .string({ error: 'must be a string of source code' })
      .min(1, { error: 'must not be empty' })
      .optional(),
    wasm_cid: z
      .string()
      .regex(CID_PATTERN, { error: 'must be a module id as returned by POST /api/wasm' })
      .optional(),
    wasm_base64: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64' })
      .optional(),
    timeout_seconds: z
      .number({ error: 'must be a number of seconds between 1 and 300' })
      .min(1, { error: 'must be between 1 and 300' })
      .max(300, { error: 'must be between 1 and 300' })
      .optional(),
    /** Functions see their callers' requests: only trusted volunteers answer them by default. */
    executor: ExecutorField.optional(),
    untrusted_db: UntrustedDbField.optional(),
    /** Names of the namespace's secrets every call reads as `SECRETS.NAME` (see secrets/). */
    secrets: SecretNames.optional(),
  })
  .superRefine((body, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message })
    if (body.runtime === 'wasm') {
      if (body.code !== undefined)
        issue('code', 'is not used by wasm functions: send wasm_cid or wasm_base64')
      else if (!body.wasm_cid && !body.wasm_base64)
        issue('wasm_cid', 'is required for wasm functions (or wasm_base64)')
    } else if (body.code === undefined) issue('code', 'is required')
    else if (body.wasm_cid || body.wasm_base64)
      issue('wasm_cid', `is only for wasm functions; this one is ${body.runtime}`)
  })

const Count = z
  .string()
  .regex(/^\d+$/, { error: 'must be a whole number between 1 and 1000' })
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, { error: 'must be between 1 and 1000' })
      .max(1000, { error: 'must be between 1 and 1000' }),
  )
  .optional()
/** `lines`: printed lines, newest last; `invocations`: calls, newest first. */
const LogsQuery = z.object({ lines: Count, invocations: Count })

export interface DeployRouteDeps {
  functions: FunctionService
  /** Modules of wasm functions: stored if inline, known already if named. */
  intake: ModuleIntake
  modules: Pick<Scheduler, 'hasModule'>
  defaultTimeoutSeconds: number
  durable: () => Promise<void>
  /** Where declared secrets are checked to exist; undefined: the host has no secrets key. */
  secrets?: SecretService | undefined
}

/** A user's functions live in the room of their namespace. */
const owned = { owner: namespaceAt(2) }
const tag = 'Functions'
const TARGET = { user: 'The owner (namespace)', path: 'Where it answers, under /{user}/' }
const DENIED = { description: 'FORBIDDEN: the token does not cover the namespace' }

export const deployRoutes = new RouteTable<DeployRouteDeps>()
  .use('/api/deploy/*', guardNamespace('deploy'))
  .get(
    '/api/deploy',
    {
      owner: namespaceInQuery('user', everyRoom(combineList('deployments'))),
      doc: {
        summary: 'List functions',
        description: "A user's (`?user=`), or everyone's (admin).",
        tag,
        query: z.object({ user: Namespace.optional() }),
        responses: {
          200: { description: 'The functions', schema: DeploymentList },
          400: { description: 'INVALID_REQUEST' },
          403: DENIED,
        },
      },
    },
    async (c, { functions }) => {
      const user = c.req.query('user')
      if (user !== undefined && !NAMESPACE_PATTERN.test(user))
        throw badRequest('user must be a namespace name', 'user')
      if (user !== undefined) await requireRight(c, 'deploy', user)
      else await requireOperator(c)
      const deployments = functions.store.list(user).map((d) => view(d))
      return c.json({ deployments, total: deployments.length })
    },
  )
  .post(
    '/api/deploy/:user/*',
    {
      ...owned,
      doc: {
        summary: 'Deploy a function (a new version), or roll it back',
        description:
          "Deploys at /{user}/{path}; the code must compile and define `handle` (400 with the guest's message and line). `POST /api/deploy/{user}/{path}/rollback` (no body) goes back one version instead.",
        tag,
        params: TARGET,
        // Optional: a rollback sends none.
        body: DeployBody.optional(),
        responses: {
          200: { description: 'Rolled back', schema: DeploymentView },
          201: { description: 'Deployed', schema: DeploymentView },
          400: { description: 'INVALID_REQUEST, or the code does not compile' },
          403: DENIED,
          404: { description: 'WASM_NOT_FOUND, or FUNCTION_NOT_FOUND on a rollback' },
          409: { description: 'NO_PREVIOUS_VERSION on a rollback' },
        },
      },
    },
    async (c, deps) => {
      const { functions, durable } = deps
      const { user, rest } = target(c)
      if (rest.endsWith('/rollback') || rest === 'rollback') {
        const path = FunctionService.normalizePath(
          user,
          rest === 'rollback' ? '' : rest.slice(0, -'/rollback'.length),
        )
        const deployment = functions.rollback(user, path)
        await durable()
        return c.json(view(deployment, functions.code(deployment)))
      }
      const path = FunctionService.normalizePath(user, rest)
      const body = await parseBody(c, DeployBody)
      checkDeclared(deps.secrets, user, body.secrets)
      const wasm =
        body.runtime !== 'wasm'
          ? null
          : body.wasm_base64
            ? (
                await acceptModule(
                  deps.intake,
                  decodeBase64(body.wasm_base64, 'wasm_base64'),
                  'wasm_base64',
                )
              ).cid
            : (body.wasm_cid as string)
      if (wasm && !deps.modules.hasModule(wasm))
        throw new HttpError(
          404,
          'WASM_NOT_FOUND',
          `no module with id ${wasm}; upload it with POST /api/wasm first`,
          { field: 'wasm_cid' },
        )
      const deployment = await functions.deploy(user, path, {
        runtime: body.runtime,
        code: body.code ?? '',
        wasm_cid: wasm,
        timeout_ms: Math.round((body.timeout_seconds ?? deps.defaultTimeoutSeconds) * 1000),
        executor: body.executor ?? 'trusted',
        untrusted_db: body.untrusted_db ?? { read: [], write: [] },
        secrets: body.secrets ?? [],
      })
      await durable()
      return c.json(view(deployment, functions.code(deployment)), 201)
    },
  )
  .post(
    '/api/deploy/:user',
    { ...owned, doc: { hidden: 'a refusal: a path must follow the user' } },
    (c) =>
      c.json(
        {
          error: 'give a path after the user: POST /api/deploy/{user}/{path}',
          code: 'INVALID_REQUEST',
          field: 'path',
        },
        400,
      ),
  )
  .get(
    '/api/deploy/:user/*',
    {
      ...owned,
      doc: {
        summary: 'Read a function and its versions, or its logs',
        description:
          '`GET /api/deploy/{user}/{path}/logs` answers its printed lines (`?lines=`) and its calls with status and duration (`?invocations=`) instead.',
        tag,
        params: TARGET,
        query: LogsQuery,
        responses: {
          200: { description: 'The function, or its logs', schema: DeploymentOrLogs },
          403: DENIED,
          404: { description: 'FUNCTION_NOT_FOUND' },
        },
      },
    },
    (c, { functions }) => {
      const { user, rest } = target(c)
      if (rest === 'logs' || rest.endsWith('/logs')) {
        const path = FunctionService.normalizePath(
          user,
          rest === 'logs' ? '' : rest.slice(0, -'/logs'.length),
        )
        functions.get(user, path)
        const { lines = 100, invocations = 100 } = parseQuery(c, LogsQuery)
        const tail = functions.logs.tail(user, path, lines)
        const calls = functions.logs.calls.recent(user, path, invocations)
        return c.json({ lines: tail, count: tail.length, invocations: calls })
      }
      const path = FunctionService.normalizePath(user, rest)
      const deployment = functions.get(user, path)
      const versions = functions.store.versions(user, path).map((v) => ({
        version: v.version,
        runtime: v.runtime,
        created_at: new Date(v.created_at).toISOString(),
      }))
      return c.json({ ...view(deployment, functions.code(deployment)), versions })
    },
  )
  .delete(
    '/api/deploy/:user/*',
    {
      ...owned,
      doc: {
        summary: 'Delete a function (every version)',
        tag,
        params: TARGET,
        responses: {
          204: { description: 'Deleted' },
          403: DENIED,
          404: { description: 'FUNCTION_NOT_FOUND' },
        },
      },
    },
    async (c, { functions, durable }) => {
      const { user, rest } = target(c)
      functions.remove(user, FunctionService.normalizePath(user, rest))
      await durable()
      return c.body(null, 204)
    },
  )

/** `/api/deploy/{user}/{path…}`, decoded segment by segment; trailing slashes are not part of it. */
function target(c: Context): { user: string; rest: string } {
  const segments = requestSegments(c)
  const user = segments[2] ?? ''
  if (!NAMESPACE_PATTERN.test(user))
    throw badRequest(
      'user must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'user',
    )
  while (segments.length > 3 && segments.at(-1) === '') segments.pop()
  return { user, rest: joinedPath(segments, 3) }
}

function view(deployment: Deployment, code?: string) {
  return {
    user: deployment.user,
    path: deployment.path,
    url: `/${deployment.user}${deployment.path === '/' ? '' : deployment.path}`,
    runtime: deployment.runtime,
    version: deployment.version,
    ...(code !== undefined && deployment.runtime !== 'wasm' && { code }),
    ...(deployment.wasm_cid && { wasm_cid: deployment.wasm_cid }),
    timeout_seconds: deployment.timeout_ms / 1000,
    executor: deployment.executor,
    untrusted_db: deployment.untrusted_db,
    ...(deployment.secrets.length > 0 && { secrets: deployment.secrets }),
    created_at: new Date(deployment.deployed_at).toISOString(),
    updated_at: new Date(deployment.updated_at).toISOString(),
  }
}
