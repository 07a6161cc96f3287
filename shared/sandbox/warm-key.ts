/** The warm key of a function call: one per (namespace, function path, version), never shared. */
import type { FunctionVersion } from '../protocol/frames'

/**
 * JSON of the parts, so no namespace or path can be chosen to collide with another's (a plain
 * separator could appear in a path).
 */
export function warmKey(namespace: string, version: FunctionVersion): string {
  return JSON.stringify([namespace, version.path, version.version, version.deployed_at])
}
