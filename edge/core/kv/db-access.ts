/**
 * What a guest's `db` calls may reach in its job's namespace: key prefixes it may read (`get`,
 * `list`) and write (`set`, `delete`). Trusted executors get everything; on an untrusted one a
 * job gets what its submitter allowed in `untrusted_db` (nothing by default).
 */
import type { HostCall } from '../../../shared/protocol/host-call'

export interface DbAccess {
  /** Key prefixes; `""` covers every key. */
  read: string[]
  write: string[]
}

export const FULL_DB: DbAccess = Object.freeze({ read: [''], write: [''] }) as DbAccess
export const NO_DB: DbAccess = Object.freeze({ read: [], write: [] }) as DbAccess

const covers = (prefixes: string[], key: string) => prefixes.some((p) => key.startsWith(p))

/** Why `call` is not allowed, or undefined when it is. */
export function dbRefusal(access: DbAccess, call: HostCall): string | undefined {
  if (access === FULL_DB) return undefined
  const [what, key, allowed] =
    call.op === 'db.list'
      ? ['list keys starting with', call.prefix ?? '', covers(access.read, call.prefix ?? '')]
      : call.op === 'db.get'
        ? ['read', call.key, covers(access.read, call.key)]
        : ['write', call.key, covers(access.write, call.key)]
  if (allowed) return undefined
  return `${call.op} refused: this job runs on an untrusted volunteer, and its untrusted_db does not let it ${what} '${key}'`
}
