/**
 * One interface for every sandboxed language. Implementations run inside a killable worker
 * (worker_thread in Node, Web Worker in browsers); they honour the deadline themselves where the
 * sandbox allows it, and the worker's owner terminates them where it does not.
 */
import type { JobError } from '../job'
import type { Runtime } from '../job'
import type { JsonObject, JsonValue } from '../json'

export interface RunRequest {
  runtime: Runtime
  code: string
  /** Becomes the guest's `INPUT`; `null` gives an empty object. */
  input: JsonObject | null
  timeoutMs: number
  /** Cap on the guest heap. */
  memoryBytes: number
  /** Captured output beyond this many characters is cut and marked. */
  outputLimit: number
}

export interface RunControl {
  /** `Date.now()` value after which the guest must stop. */
  readonly deadline: number
  /** True once the job was cancelled; polled by interrupt handlers, so it must be cheap. */
  isCancelled(): boolean
}

/** What the guest produced, before output and timing are attached. */
export type GuestOutcome =
  | { ok: true; result: JsonValue }
  | {
      ok: false
      error: JobError
      /** The sandbox instance may be damaged: the worker should be replaced before the next job. */
      poisoned?: boolean
    }

export type RunOutcome = GuestOutcome & { output: string; durationMs: number }

export interface GuestRuntime {
  readonly name: Runtime
  run(request: RunRequest, control: RunControl): Promise<RunOutcome>
}

/** Defaults shared by every host that runs guests. */
export const RUN_DEFAULTS = {
  memoryBytes: 256 * 1024 * 1024,
  outputLimit: 1024 * 1024,
} as const

/** Classifies a deadline or cancellation, which interrupt handlers cannot tell apart. */
export function stopReason(control: RunControl, timeoutMs: number): JobError {
  if (control.isCancelled()) return { code: 'CANCELLED', message: 'job was cancelled' }
  return { code: 'TIMEOUT', message: `job exceeded its timeout of ${formatSeconds(timeoutMs)}` }
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`
}
