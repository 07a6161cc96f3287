/** `ANY /{user}/{path...}`: a deployed function answers, in the room of its user's namespace. */
import type { Context } from 'hono'
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'
import { callerAccepted } from '../auth/access'
import { RESERVED_USERS, type FunctionService } from '../functions/function-service'
import { HttpError } from '../http-error'
import { either, HOME } from '../rooms/owner'
import { requestSegments } from './path-segments'
import { readText } from './request-body'
import { RouteTable } from './route-table'

export interface FunctionRouteDeps {
  functions: Pick<FunctionService, 'invoke'>
}

/** First segments no function lives under: what is left of them the home room answers (404). */
const NOT_A_USER = new Set(['api', 'static', 'ws'])

const byUser = either((request) => {
  const [user] = request.segments
  return user === undefined || NOT_A_USER.has(user) ? HOME : { kind: 'namespace', of: () => user }
})

/** The function deployed at the path (or at its longest deployed prefix) answers. */
async function invoke(c: Context, { functions }: FunctionRouteDeps) {
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

/** What both routes of a call say in the OpenAPI document; `params` name what their path holds. */
function invokeDoc(summary: string, params: Record<string, string>) {
  return {
    summary,
    description:
      'The function deployed at the path (or its longest deployed prefix) gets `{method, path, query, headers, body}` and its `{status, headers, body}` is the answer. Public: no token.',
    tag: 'Functions',
    access: 'open' as const,
    body: { contentType: '*/*', description: "The request's body, as `req.body` (text)" },
    params,
    responses: {
      200: {
        description: "The function's answer: its status, headers and body",
        contentType: '*/*',
      },
      404: { description: 'FUNCTION_NOT_FOUND' },
      502: { description: 'FUNCTION_ERROR: the function threw or answered wrongly' },
      503: { description: 'NO_WORKER: no volunteer can run it now' },
      504: { description: 'FUNCTION_TIMEOUT' },
    },
  }
}

/** Mounted last: anything else under /{user}/ is a function invocation. */
export const functionRoutes = new RouteTable<FunctionRouteDeps>()
  .all(
    '/:user',
    {
      owner: byUser,
      doc: invokeDoc('Call a deployed function at its root', { user: 'The owner (namespace)' }),
    },
    invoke,
  )
  .all(
    '/:user/*',
    {
      owner: byUser,
      doc: invokeDoc('Call a deployed function', {
        user: 'The owner (namespace)',
        path: 'The path it is deployed at',
      }),
    },
    invoke,
  )
