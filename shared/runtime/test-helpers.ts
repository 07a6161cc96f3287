/** Builders shared by the runtime tests. */
import type { Runtime } from '../protocol/job'
import type { JsonObject } from '../protocol/json'
import type { GuestRuntime, RunControl, RunOutcome, RunRequest } from './runtime'

export function request(
  runtime: Runtime,
  code: string,
  input: JsonObject | null = null,
  over: Partial<RunRequest> = {},
): RunRequest {
  const defaults: RunRequest = {
    runtime,
    namespace: 'default',
    code,
    input,
    timeoutMs: 2000,
    memoryBytes: 32 << 20,
    outputLimit: 64 * 1024,
  }
  return Object.assign(defaults, over)
}

export function control(timeoutMs = 2000, cancelled = () => false): RunControl {
  return { deadline: Date.now() + timeoutMs, isCancelled: cancelled }
}

export async function run(
  rt: GuestRuntime,
  code: string,
  input: JsonObject | null = null,
  over: Partial<RunRequest> = {},
): Promise<RunOutcome> {
  const req = request(rt.name, code, input, over)
  return rt.run(req, control(req.timeoutMs))
}
