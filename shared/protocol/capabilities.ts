/** What a volunteer can run, and whether a job fits it (runtime AND namespace whitelist). */
import { z } from 'zod'
import { Namespace, Runtime } from './job'

const MAX_CONCURRENCY = 64

export const Capabilities = z.strictObject({
  runtimes: z.array(Runtime).min(1).max(8),
  /** Namespaces this volunteer donates to; absent or empty means every namespace. */
  namespaces: z.array(Namespace).max(256).optional(),
  /** Jobs it runs at once; the orchestrator never sends more. */
  concurrency: z.number().int().min(1).max(MAX_CONCURRENCY),
  /**
   * Jobs it may hold beyond `concurrency`, queued locally so that the next one starts the moment a
   * slot frees instead of a network round trip later (a work buffer, as BOINC clients keep).
   */
  prefetch: z.number().int().min(0).max(8).optional(),
  /**
   * It understands job frames' `function` field (the version a call is for) and may keep function
   * versions warm. Volunteers that do not say so get function calls without it, as before.
   */
  warm: z.boolean().optional(),
  memory_mb: z
    .number()
    .int()
    .positive()
    .max(1 << 20)
    .optional(),
})
export type Capabilities = z.infer<typeof Capabilities>

/** True when a volunteer with these capabilities may be given a job of this runtime and namespace. */
export function canRun(caps: Capabilities, runtime: Runtime, namespace: string): boolean {
  if (!caps.runtimes.includes(runtime)) return false
  return acceptsNamespace(caps, namespace)
}

export function acceptsNamespace(caps: Capabilities, namespace: string): boolean {
  return !caps.namespaces || caps.namespaces.length === 0 || caps.namespaces.includes(namespace)
}
