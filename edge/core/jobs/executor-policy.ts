/**
 * Who may run a job or a function, as its submitter says: `executor` ("any" volunteer, or only a
 * "trusted" one: internal workers, token holders, runners), and `untrusted_db`, what its `db`
 * calls may reach when an untrusted volunteer (an anonymous tab) runs it.
 */
import { z } from 'zod'
import { MAX_KEY_BYTES } from '../kv/kv-limits'
import { FULL_DB, NO_DB, type DbAccess } from '../kv/db-access'

const EXECUTORS = ['any', 'trusted'] as const
export type Executor = (typeof EXECUTORS)[number]

export const ExecutorField = z.enum(EXECUTORS, { error: 'must be "any" or "trusted"' })

const SHORTHANDS: Record<string, DbAccess> = {
  none: NO_DB,
  read: { read: [''], write: [] },
  read_write: FULL_DB,
}

const Prefixes = z
  .array(z.string().max(MAX_KEY_BYTES), { error: 'must be a list of key prefixes' })
  .max(32)

const UNTRUSTED_DB_HELP =
  'must be "none", "read", "read_write", or {"read": [key prefixes], "write": [key prefixes]}'

/** `"none"` (the default), `"read"`, `"read_write"`, or key prefixes to read and to write. */
export const UntrustedDbField = z.union(
  [
    z
      .string()
      .refine((s) => s in SHORTHANDS, { error: UNTRUSTED_DB_HELP })
      .transform((s): DbAccess => {
        const access = SHORTHANDS[s] as DbAccess
        return { read: [...access.read], write: [...access.write] }
      }),
    z
      .strictObject({ read: Prefixes.optional(), write: Prefixes.optional() })
      .transform((o): DbAccess => ({ read: o.read ?? [], write: o.write ?? [] })),
  ],
  { error: UNTRUSTED_DB_HELP },
)

/** Stored as JSON text; a row from before these fields existed reads as the default. */
export function dbAccessFrom(text: string | null | undefined): DbAccess {
  if (!text) return { read: [], write: [] }
  const parsed = JSON.parse(text) as Partial<DbAccess>
  return { read: parsed.read ?? [], write: parsed.write ?? [] }
}
