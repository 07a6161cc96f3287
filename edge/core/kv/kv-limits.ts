/** What a key and a value may be, shared by the HTTP API and guests' `db` calls. */
import { badRequest } from '../http-error'

export const MAX_KEY_BYTES = 512
export const MAX_VALUE_BYTES = 2 * 1024 * 1024

/** Throws a 400 naming what is wrong with a key. */
export function checkKey(key: string): void {
  const problem = keyProblem(key)
  if (problem) throw badRequest(`key ${problem}`, 'key')
}

export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty'
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES)
    return `must be at most ${MAX_KEY_BYTES} bytes`
  if (key.includes('/')) return 'must be a single path segment (no "/")'
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'must not contain control characters'
  return undefined
}
