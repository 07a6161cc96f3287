/**
 * `/api/deploy`: deploy a function at `/{user}/{path}` (each deploy is a new version), list, show,
 * delete, roll back, and read its logs. Invocation itself is `functionRoute`, mounted last.
 */
import { callerAccepted, guardNamespace, requireOperator, requireRight } from '../auth/access'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { CID_PATTERN } from '../../../shared/protocol/cid'
import { NAMESPACE_PATTERN, normalizeRuntime, RUNTIMES } from '../../../shared/protocol/job'
import type { Deployment } from '../functions/deployment-store'
import { FunctionService, RESERVED_USERS } from '../functions/function-service'
import { ExecutorField, UntrustedDbField } from '../jobs/executor-policy'
import { badRequest, HttpError } from '../http-error'
import type { Orchestrator } from '../orchestrator'
import { acceptModule, decodeBase64 } from '../wasm/module-intake'
import { joinedPath, requestSegments } from './path-segments'
import { parseBody, parseQuery, readText } from './request-body'

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

const LogsQuery = z.object({
  lines: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number between 1 and 1000' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: 'must be between 1 and 1000' })
        .max(1000, { error: 'must be between 1 and 1000' }),
    )
    .optional(),
})

export function deployRoutes(orchestrator: Orchestrator, functions: FunctionService): Hono {
  const app = new Hono()
  app.use('*', guardNamespace('deploy'))

  app.get('/', async (c) => {
    const user = c.req.query('user')
    if (user !== undefined && !NAMESPACE_PATTERN.test(user))
      throw badRequest('user must be a namespace name', 'user')
    if (user !== undefined) await requireRight(c, 'deploy', user)
    else await requireOperator(c)
    const deployments = functions.store.list(user).map((d) => view(d))
    return c.json({ deployments, total: deployments.length })
  })

  app.post('/:user/*', async (c) => {
    const { user, rest } = target(c)
    if (rest.endsWith('/rollback') || rest === 'rollback') {
      const path = FunctionService.normalizePath(
        user,
        rest === 'rollback' ? '' : rest.slice(0, -'/rollback'.length),
      )
      const deployment = functions.rollback(user, path)
      await orchestrator.durable()
      return c.json(view(deployment, functions.code(deployment)))
    }
    const path = FunctionService.normalizePath(user, rest)
    const body = await parseBody(c, DeployBody)
    const wasm =
      body.runtime !== 'wasm'
        ? null
        : body.wasm_base64
          ? (
              await acceptModule(
                orchestrator,
                decodeBase64(body.wasm_base64, 'wasm_base64'),
                'wasm_base64',
              )
            ).cid
          : (body.wasm_cid as string)
    if (wasm && !orchestrator.scheduler.hasModule(wasm))
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
      timeout_ms: Math.round(
        (body.timeout_seconds ?? orchestrator.config.defaultTimeoutSeconds) * 1000,
      ),
      executor: body.executor ?? 'trusted',
      untrusted_db: body.untrusted_db ?? { read: [], write: [] },
    })
    await orchestrator.durable()
    return c.json(view(deployment, functions.code(deployment)), 201)
  })
  app.post('/:user', (c) =>
    c.json(
      {
        error: 'give a path after the user: POST /api/deploy/{user}/{path}',
        code: 'INVALID_REQUEST',
        field: 'path',
      },
      400,
    ),
  )

  app.get('/:user/*', (c) => {
    const { user, rest } = target(c)
    if (rest === 'logs' || rest.endsWith('/logs')) {
      const path = FunctionService.normalizePath(
        user,
        rest === 'logs' ? '' : rest.slice(0, -'/logs'.length),
      )
      functions.get(user, path)
      const { lines = 100 } = parseQuery(c, LogsQuery)
      const tail = functions.logs.tail(user, path, lines)
      return c.json({ lines: tail, count: tail.length })
    }
    const path = FunctionService.normalizePath(user, rest)
    const deployment = functions.get(user, path)
    const versions = functions.store.versions(user, path).map((v) => ({
      version: v.version,
      runtime: v.runtime,
      created_at: new Date(v.created_at).toISOString(),
    }))
    return c.json({ ...view(deployment, functions.code(deployment)), versions })
  })

  app.delete('/:user/*', async (c) => {
    const { user, rest } = target(c)
    functions.remove(user, FunctionService.normalizePath(user, rest))
    await orchestrator.durable()
    return c.body(null, 204)
  })

  return app
}

/** `ANY /{user}/{path...}`: the function deployed there (or at its longest deployed prefix) answers. */
export function functionRoute(functions: FunctionService) {
  return async (c: Context): Promise<Response> => {
    const url = new URL(c.req.url)
    const [user = '', ...rest] = requestSegments(c)
    if (!NAMESPACE_PATTERN.test(user) || RESERVED_USERS.has(user)) {
      throw new HttpError(404, 'NOT_FOUND', `no route for ${c.req.method} ${url.pathname}`)
    }
    // Public: anyone may call a function, and its handler gets the body (within the limit).
    callerAccepted(c)
    const method = c.req.method
    const body = () => (method === 'GET' || method === 'HEAD' ? Promise.resolve('') : readText(c))
    return functions.invoke(user, `/${rest.join('/')}`, c.req.raw, url, body)
  }
}

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
    created_at: new Date(deployment.deployed_at).toISOString(),
    updated_at: new Date(deployment.updated_at).toISOString(),
  }
}
