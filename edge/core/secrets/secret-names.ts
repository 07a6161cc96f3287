/** What a secret may be called, and the `secrets` list work declares: names like environment variables. */
import { z } from 'zod'

export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
/** A piece of work may declare at most this many secrets. */
const MAX_DECLARED_SECRETS = 32

const NAME_HELP = 'must be 1-64 letters, digits or "_", not starting with a digit (like API_KEY)'

const SecretName = z.string().regex(SECRET_NAME_PATTERN, { error: NAME_HELP })

/** `"secrets": ["API_KEY", ...]` on a job, function, workflow step or service run; duplicates go. */
export const SecretNames = z
  .array(SecretName, { error: 'must be a list of secret names' })
  .max(MAX_DECLARED_SECRETS, { error: `must name at most ${MAX_DECLARED_SECRETS} secrets` })
  .transform((names) => [...new Set(names)])

/** A stored JSON list of names; NULL (rows from before secrets existed) is none. */
export function secretNamesFrom(text: string | null | undefined): string[] {
  if (!text) return []
  const parsed: unknown = JSON.parse(text)
  return Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === 'string') : []
}

/** What a row keeps: NULL for none, so rows without secrets stay as they were. */
export const secretNamesText = (names: readonly string[] | undefined): string | null =>
  names && names.length > 0 ? JSON.stringify(names) : null
