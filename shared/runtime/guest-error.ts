/** Turns what a guest threw into a JobError: a code, a readable message, the line, the traceback. */
import type { JobError } from '../protocol/job'
import type { RunControl } from './runtime'
import { stopReason } from './runtime'

/** The file name guests' code is compiled under, so tracebacks and line numbers point at it. */
export const GUEST_FILE = 'job'

const LINE_PATTERNS = [
  new RegExp(`${GUEST_FILE}\\.js:(\\d+)`),
  new RegExp(`(?:^|\\s)${GUEST_FILE}:(\\d+):`),
  /line (\d+)/,
]

/** The first line number a traceback or message mentions for the guest's own file. */
export function guestLine(...texts: (string | undefined)[]): number | undefined {
  for (const text of texts) {
    if (!text) continue
    for (const pattern of LINE_PATTERNS) {
      const match = pattern.exec(text)
      if (match?.[1]) return Number(match[1])
    }
  }
  return undefined
}

export interface ThrownValue {
  name: string
  message: string
  stack?: string
}

/** Classifies a QuickJS exception; interrupts become TIMEOUT or CANCELLED. */
export function classifyJsError(
  thrown: ThrownValue,
  control: RunControl,
  timeoutMs: number,
): JobError {
  const { name, message, stack } = thrown
  if (name === 'InternalError' && message === 'interrupted') return stopReason(control, timeoutMs)
  const text = name ? `${name}: ${message}` : message
  const line = guestLine(stack, message)
  const traceback = stack?.trim() ? stack : undefined
  const base = {
    message: text,
    ...(line !== undefined && { line }),
    ...(traceback && { traceback }),
  }
  if (/out of memory/i.test(message)) return { code: 'OUT_OF_MEMORY', ...base }
  if (/stack overflow|call stack size/i.test(message)) return { code: 'STACK_OVERFLOW', ...base }
  if (name === 'SyntaxError') return { code: 'SYNTAX_ERROR', ...base }
  return { code: 'GUEST_ERROR', ...base }
}
