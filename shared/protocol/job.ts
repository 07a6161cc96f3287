/** The job model shared by orchestrator, volunteers and runners: types, states, failures. */
import { z } from 'zod'
import { JOB_ERROR_CODES, MAX_ERROR_MESSAGE, MAX_TRACEBACK } from './errors'

/** Sandboxed runtimes users submit code for, with the aliases users type (the original accepted these). */
export const RUNTIMES = ['js', 'lua', 'python', 'wasm'] as const
/**
 * Every kind of job a volunteer may run: the sandboxed runtimes, and `native`, a standalone
 * service's executable run by a `zerverless-runner` that opted in. Users never submit `native`
 * code: those jobs come only from POST /api/services/standalone/{id}/run.
 */
const JOB_TYPES = [...RUNTIMES, 'native'] as const
export const Runtime = z.enum(JOB_TYPES)
export type Runtime = z.infer<typeof Runtime>
export type SandboxRuntime = (typeof RUNTIMES)[number]

const RUNTIME_ALIASES: Record<string, SandboxRuntime> = {
  js: 'js',
  javascript: 'js',
  lua: 'lua',
  python: 'python',
  py: 'python',
  wasm: 'wasm',
}

/** Maps `javascript` → `js`, `py` → `python`; `undefined` for anything else. */
export function normalizeRuntime(name: string): SandboxRuntime | undefined {
  return RUNTIME_ALIASES[name.toLowerCase()]
}

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const
export const JobStatus = z.enum(JOB_STATUSES)
export type JobStatus = z.infer<typeof JobStatus>

export function isFinished(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled'
}

/** A namespace names an owner (a user, a team); it becomes part of storage paths later. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
export const Namespace = z
  .string()
  .regex(
    NAMESPACE_PATTERN,
    'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
  )

const JobErrorCode = z.enum(JOB_ERROR_CODES)

/** Why a job failed: a code, the guest's message, and where the guest said it failed. */
export const JobError = z.object({
  code: JobErrorCode,
  message: z.string().max(MAX_ERROR_MESSAGE),
  line: z.number().int().nonnegative().optional(),
  traceback: z.string().max(MAX_TRACEBACK).optional(),
})
export type JobError = z.infer<typeof JobError>
