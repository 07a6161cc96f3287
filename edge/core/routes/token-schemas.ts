/** What `/api/tokens` answers (token-routes.ts builds it), as zod schemas. */
import { z } from 'zod'

const TokenView = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    namespaces: z.array(z.string()),
    rights: z.array(z.string()),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked: z.boolean(),
  })
  .meta({ id: 'Token' })

/** The token itself is shown once, here. */
export const IssuedToken = TokenView.extend({ token: z.string() })

export const TokenList = z.strictObject({ tokens: z.array(TokenView), total: z.int() })
