/**
 * Namespace quotas answer `429 QUOTA_EXCEEDED`, like gRPC's RESOURCE_EXHAUSTED: the request was
 * fine, the namespace is full. `quota` names which one; pending jobs drain by themselves, so that
 * refusal also says when to try again, while files and keys wait for the owner to delete some.
 */
import { HttpError } from '../http-error'

export type QuotaName = 'pending_jobs' | 'storage_bytes' | 'kv_keys' | 'secrets'

export class QuotaExceededError extends HttpError {
  override name = 'QuotaExceededError'

  constructor(
    readonly quota: QuotaName,
    readonly limit: number,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(429, 'QUOTA_EXCEEDED', message, { quota, limit, headers })
  }
}

/** Seconds a refused job submission is told to wait: volunteers take jobs all the time. */
const PENDING_RETRY_AFTER_SECONDS = 5

/** Throws unless `adding` more jobs keep `namespace` within `max` pending (0: no quota). */
export function checkPendingJobs(
  namespace: string,
  pending: number,
  adding: number,
  max: number,
): void {
  if (max <= 0 || pending + adding <= max) return
  throw new QuotaExceededError(
    'pending_jobs',
    max,
    `namespace '${namespace}' may have at most ${max} pending jobs; it has ${pending} and this would add ${adding}: wait for some to run, or submit fewer`,
    { 'retry-after': String(PENDING_RETRY_AFTER_SECONDS) },
  )
}
