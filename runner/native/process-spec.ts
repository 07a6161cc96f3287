/**
 * What the native runner is asked to run and what it reports back: a fully resolved spec in, an
 * outcome out. Kept apart from run-process.ts so its helpers can share the types without a cycle.
 */
import type { Containment, ContainmentKind } from './process-tree'

/** A native executable to run once, with everything already resolved by the platform. */
export interface ProcessSpec {
  /** Absolute path to the executable. */
  executable: string
  /** Passed without a shell; empty and whitespace-only entries are dropped. */
  arguments: string[]
  /** Defaults to the executable's directory; must be an existing directory. */
  workingDirectory?: string
  /** Service variables, merged over a minimal base environment (or the runner's, see below). */
  environment: Record<string, string>
  /** Start from the runner's own process.env instead of the minimal base (it may hold secrets). */
  inheritEnvironment?: boolean
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string | Uint8Array
  /** A file to read stdin from instead (it may be large); takes the place of `stdin`. */
  stdinFile?: string
  /** Wall-clock limit in milliseconds, > 0. */
  timeoutMs: number
  /** Delay between SIGTERM and SIGKILL to the process tree; default 5000. */
  killGraceMs?: number
  /** What holds the process and all it forks; default: the best this machine offers. */
  containment?: Containment
  /** 'user:group', 'uid:gid' or 'user' (its primary group); needs the runner to be root. */
  runAsUser?: string
  /** Created if missing (0755); receives stdout.txt, stderr.txt and logs.txt (0644). */
  outputDir: string
  /** Per-file cap; default 64 MiB. Output beyond it is read and dropped, and a marker line added. */
  maxOutputBytes?: number
  /** Aborting stops the process tree like a timeout; the outcome is 'cancelled'. */
  signal?: AbortSignal
}

/** How a run ended. runProcess never rejects for process problems; they all land here. */
export interface ProcessOutcome {
  status: 'exited' | 'timeout' | 'cancelled' | 'not_found' | 'failed_to_start'
  /** The exit code; 127 for not_found; null when the process ended by a signal or never ran. */
  exitCode: number | null
  /** The signal that ended the process, e.g. 'SIGKILL'. */
  signal: string | null
  durationMs: number
  /** Bytes produced on each stream, counting those beyond the cap. */
  stdoutBytes: number
  stderrBytes: number
  /** True when stdout or stderr went over maxOutputBytes. */
  truncated: boolean
  /** For people: 'Process exited with code 3', 'executable not found: /x', … */
  message: string
  /** What held the process tree; absent when no process started. */
  containment?: ContainmentKind
}

/** Why a run could not start; `status` is what the outcome reports. */
export interface StartFailure {
  ok: false
  status: 'not_found' | 'failed_to_start'
  message: string
}

export const DEFAULT_KILL_GRACE_MS = 5000
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024
