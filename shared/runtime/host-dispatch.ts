/** Guests' host calls arrive as JSON text from inside a sandbox: parse them like any untrusted input. */
import { HostCall, type HostBridge, type HostReply } from '../protocol/host-call'
import { describeIssues } from '../protocol/schema-errors'

const NO_DATABASE = 'the database is only available to jobs and functions run for an orchestrator'

export function hostCallFromGuest(bridge: HostBridge | undefined, text: string): HostReply {
  if (!bridge) return { ok: false, error: NO_DATABASE }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { ok: false, error: 'the call is not JSON' }
  }
  // jitless: sandbox realms may forbid code generation, which zod's fast path uses.
  const parsed = HostCall.safeParse(data, { jitless: true })
  if (!parsed.success)
    return { ok: false, error: `bad db call: ${describeIssues(parsed.error, data)}` }
  return bridge.call(parsed.data)
}
