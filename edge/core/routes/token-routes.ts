/** `/api/tokens`: the admin issues, lists and revokes namespace tokens. */
import { z } from 'zod'
import { Namespace } from '../../../shared/protocol/job'
import { requireOperator } from '../auth/access'
import type { Authenticator } from '../auth/authenticator'
import { ANY_NAMESPACE, RIGHTS } from '../auth/principal'
import type { TokenRecord, TokenStore } from '../auth/token-store'
import { HttpError } from '../http-error'
import { HOME } from '../rooms/owner'
import { parseBody } from './request-body'
import { RouteTable } from './route-table'
import { IssuedToken, TokenList } from './token-schemas'

const TEN_YEARS = 10 * 365 * 24 * 3600

const IssueBody = z.strictObject({
  name: z.string().min(1).max(128).optional(),
  namespaces: z
    .array(z.union([Namespace, z.literal(ANY_NAMESPACE)]), {
      error: `must be a list of namespaces, or ["${ANY_NAMESPACE}"] for all`,
    })
    .min(1)
    .max(256),
  rights: z
    .array(z.enum(RIGHTS, { error: `must be some of ${RIGHTS.join(', ')}` }))
    .min(1)
    .max(RIGHTS.length),
  expires_in_seconds: z.number().int().positive().max(TEN_YEARS).optional(),
})

const view = (record: TokenRecord) => ({
  id: record.id,
  name: record.name,
  namespaces: record.namespaces,
  rights: record.rights,
  created_at: new Date(record.created_at).toISOString(),
  expires_at: record.expires_at === null ? null : new Date(record.expires_at).toISOString(),
  revoked: record.revoked_at !== null,
})

export interface TokenRouteDeps {
  auth: Authenticator
  tokens: TokenStore
  durable: () => Promise<void>
  /** A token was revoked: volunteers and runners connected with it are let go. */
  revoked: (id: string) => void
}

/** Tokens are issued and revoked in the home room; the other rooms ask it about them. */
export const tokenRoutes = new RouteTable<TokenRouteDeps>()
  .post(
    '/api/tokens',
    {
      owner: HOME,
      doc: {
        summary: 'Issue a namespace token (admin)',
        description: 'The token is shown once, in this answer. Needs auth on (`--auth on`).',
        tag: 'Tokens',
        body: IssueBody,
        responses: {
          201: { description: 'Issued', schema: IssuedToken },
          400: { description: 'INVALID_REQUEST: a field is wrong (named in `field`)' },
          403: { description: 'FORBIDDEN: not the admin token' },
          409: { description: 'AUTH_OFF: auth is off, tokens would not be checked' },
        },
      },
    },
    async (c, { auth, tokens, durable }) => {
      await requireOperator(c)
      if (!auth.enabled)
        throw new HttpError(
          409,
          'AUTH_OFF',
          'auth is off on this orchestrator: tokens would not be checked',
        )
      const body = await parseBody(c, IssueBody)
      const { token, record } = await auth.issue({
        name: body.name ?? `token for ${body.namespaces.join(',')}`,
        namespaces: [...new Set(body.namespaces)],
        rights: [...new Set(body.rights)],
        ...(body.expires_in_seconds !== undefined && { expiresInSeconds: body.expires_in_seconds }),
      })
      tokens.insert(record)
      await durable()
      return c.json({ token, ...view(record) }, 201)
    },
  )
  .get(
    '/api/tokens',
    {
      owner: HOME,
      doc: {
        summary: 'List tokens (admin)',
        tag: 'Tokens',
        responses: {
          200: { description: 'Every token issued, revoked ones too', schema: TokenList },
          403: { description: 'FORBIDDEN: not the admin token' },
        },
      },
    },
    async (c, { tokens }) => {
      await requireOperator(c)
      const listed = tokens.list().map(view)
      return c.json({ tokens: listed, total: listed.length })
    },
  )
  .delete(
    '/api/tokens/:id',
    {
      owner: HOME,
      doc: {
        summary: 'Revoke a token (admin)',
        description: 'Volunteers and runners connected with it are let go.',
        tag: 'Tokens',
        params: { id: 'The token id' },
        responses: {
          204: { description: 'Revoked' },
          403: { description: 'FORBIDDEN: not the admin token' },
          404: { description: 'TOKEN_NOT_FOUND' },
        },
      },
    },
    async (c, { tokens, durable, revoked }) => {
      await requireOperator(c)
      const id = c.req.param('id')
      if (!tokens.get(id)) throw new HttpError(404, 'TOKEN_NOT_FOUND', `no token with id ${id}`)
      tokens.revoke(id)
      await durable()
      revoked(id)
      return c.body(null, 204)
    },
  )
