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

/** The longest progress message kept (the protocol's cap); a longer one is cut, not refused. */
const PROGRESS_MESSAGE_MAX = 1024

/**
 * A guest's `progress(fraction, message)`: checks it and passes it on. Returns what was wrong for
 * the runtime to raise in the guest (a bug in the job is better found than hidden); outside an
 * orchestrator, where nobody listens, a good call does nothing.
 */
export function progressFromGuest(
  bridge: HostBridge | undefined,
  fraction: unknown,
  message: unknown,
): string | undefined {
  if (!isFraction(fraction))
    return `progress(fraction, message): fraction must be a number from 0 to 1; got ${shown(fraction)}`
  if (message !== undefined && message !== null && typeof message !== 'string')
    return `progress(fraction, message): message must be a string; got ${shown(message)}`
  const text = typeof message === 'string' ? message.slice(0, PROGRESS_MESSAGE_MAX) : undefined
  bridge?.progress?.(fraction, text)
  return undefined
}

/** Whether what a sandbox thread passed on is progress as a guest may report it. */
export function isGuestProgress(fraction: unknown, message: unknown): fraction is number {
  const text =
    message === undefined || (typeof message === 'string' && message.length <= PROGRESS_MESSAGE_MAX)
  return isFraction(fraction) && text
}

function isFraction(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= 1
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}
