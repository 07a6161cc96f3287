/**
 * Guests' `db` calls, answered against the namespace of the job they run in (never one they
 * name), and only for the keys the job may reach from where it runs (see db-access.ts).
 */
import type { HostCall, HostReply } from '../../../shared/protocol/host-call'
import { QuotaExceededError } from '../limits/quota-error'
import type { JobScope } from '../volunteers/volunteer-session'
import { dbRefusal } from './db-access'
import { keyProblem, MAX_VALUE_BYTES } from './kv-limits'
import type { KvStore } from './kv-store'

export function answerHostCall(kv: KvStore, scope: JobScope, call: HostCall): HostReply {
  const { namespace } = scope
  const refusal = dbRefusal(scope.db, call)
  if (refusal) return { ok: false, error: refusal }
  if (call.op !== 'db.list') {
    const problem = keyProblem(call.key)
    if (problem) return { ok: false, error: `db key ${problem}` }
  }
  switch (call.op) {
    case 'db.get':
      return { ok: true, value: kv.get(namespace, call.key)?.value ?? null }
    case 'db.set': {
      const json = JSON.stringify(call.value)
      if (new TextEncoder().encode(json).length > MAX_VALUE_BYTES)
        return { ok: false, error: `db value is over ${MAX_VALUE_BYTES} bytes of JSON` }
      try {
        kv.set(namespace, call.key, json, call.ttl)
      } catch (err) {
        // The guest sees the quota as a failed call it can handle, like a too-large value.
        if (err instanceof QuotaExceededError) return { ok: false, error: err.message }
        throw err
      }
      return { ok: true, value: true }
    }
    case 'db.delete':
      return { ok: true, value: kv.delete(namespace, call.key) }
    case 'db.list': {
      const page = kv.list(namespace, call.prefix ?? '', call.limit ?? 100, call.cursor)
      return { ok: true, value: { keys: page.keys, cursor: page.cursor } }
    }
  }
}
