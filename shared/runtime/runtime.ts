/**
 * One interface for every sandboxed language. Implementations run inside a killable worker
 * (worker_thread in Node, Web Worker in browsers); they honour the deadline themselves where the
 * sandbox allows it, and the worker's owner terminates them where it does not.
 */
import type { HostBridge } from '../protocol/host-call'
import type { JobError } from '../protocol/job'
import type { Runtime } from '../protocol/job'
import type { JsonObject, JsonValue } from '../protocol/json'

export interface RunRequest {
  runtime: Runtime
  /** Whose job this is; runtimes that keep warm state reset it when the owner changes. */
  namespace: string
  /**
   * `function`: the code defines `handle(req)`; it is called with `input` (the HTTP request) and
   * what it returns is the result (the response). Default `job`.
   */
  mode?: 'job' | 'function'
  code: string
  /** Becomes the guest's `INPUT`; `null` gives an empty object. */
  input: JsonObject | null
  /** Becomes the guest's read-only `SECRETS` (js, lua, python); absent gives an empty one. */
  secrets?: Readonly<Record<string, string>>
  timeoutMs: number
  /** Cap on the guest heap. */
  memoryBytes: number
  /** Captured output beyond this many characters is cut and marked. */
  outputLimit: number
  /** For `wasm` jobs: the module (by content id; bytes when the runtime has not seen it) and its command line. */
  wasm?: WasmCommand
  /**
   * Function calls only: `key` names one (namespace, function path, version). A runtime with warm
   * contexts keeps one initialised context per key (its code evaluated once, `handle` found once)
   * and calls `handle` on it, so module-level state persists between calls of that key and never
   * reaches another. A context that timed out, ran out of memory or threw from its top level is
   * discarded; a `handle` that throws an ordinary error keeps it, as a Worker isolate does.
   */
  warm?: { key: string }
}

interface WasmCommand {
  cid: string
  bytes?: Uint8Array
  args: string[]
  env: Record<string, string>
}

export interface RunControl {
  /** `Date.now()` value after which the guest must stop. */
  readonly deadline: number
  /** True once the owner asked the guest to stop; polled by interrupt handlers, so it must be cheap. */
  isCancelled(): boolean
  /**
   * Shared memory the owner sets to STOP_SIGNAL at the deadline or on cancel, where the host has
   * SharedArrayBuffer: Pyodide polls it between bytecodes.
   */
  readonly stopFlag?: Int32Array
  /** The line to the host for `db` calls, where the host offers one. */
  readonly host?: HostBridge
}

/** The value written to a stop flag (SIGINT, which Pyodide turns into KeyboardInterrupt). */
export const STOP_SIGNAL = 2

/** What the guest produced, before output and timing are attached. */
export type GuestOutcome =
  | { ok: true; result: JsonValue }
  | {
      ok: false
      error: JobError
      /** The sandbox instance may be damaged: the worker should be replaced before the next job. */
      poisoned?: boolean
      /** The volunteer failed, not the guest (a sandbox that could not start): run it elsewhere. */
      retryable?: boolean
    }

export type RunOutcome = GuestOutcome & {
  output: string
  durationMs: number
  /** What the guest wrote to stderr (Python, WASI), kept apart from output. */
  stderr?: string
  /** A WASI command's exit status. */
  exitCode?: number
}

export interface GuestRuntime {
  readonly name: Runtime
  run(request: RunRequest, control: RunControl): Promise<RunOutcome>
  /**
   * Bytes this runtime holds beyond what it held when loaded (a wasm memory never shrinks), and
   * garbage its last job left for the collector: the owner replaces a thread that holds too much.
   */
  retainedBytes?(): number
  /** Bytes this runtime's warm contexts hold. */
  warmBytes?(): number
  /** Evicts least recently used warm contexts until they hold at most `keepBytes`. */
  dropWarm?(keepBytes: number): void
}

/** Defaults shared by every host that runs guests. */
export const RUN_DEFAULTS = {
  memoryBytes: 128 * 1024 * 1024,
  outputLimit: 1024 * 1024,
} as const

/** What a function-mode guest gets told when its code defines no handler. */
export const NO_HANDLER = 'the function must define handle(req), returning {status, headers, body}'

/** Classifies a stop, which interrupt handlers cannot tell apart: past the deadline it was the clock. */
export function stopReason(control: RunControl, timeoutMs: number): JobError {
  if (Date.now() < control.deadline && control.isCancelled())
    return { code: 'CANCELLED', message: 'job was cancelled' }
  return { code: 'TIMEOUT', message: `job exceeded its timeout of ${formatSeconds(timeoutMs)}` }
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`
}
