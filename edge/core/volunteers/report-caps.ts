/**
 * What the orchestrator keeps of the text a volunteer reports. Runtimes cut a guest's output at
 * 1 MiB (RUN_DEFAULTS.outputLimit) and the runner reads the first 1 MiB of stdout, but the frame
 * limit is 16 MiB and a hostile volunteer can fill it: whatever it sends, the stored output and
 * stderr are cut at a fixed size, with a marker saying how much was cut. Error messages,
 * tracebacks and progress messages are bounded by the protocol's schema already (a longer one is
 * a malformed frame, and the job runs elsewhere).
 */
import type { JobErrorFrame, ResultFrame } from '../../../shared/protocol/frames'
import { RUN_DEFAULTS } from '../../../shared/runtime/runtime'

/** Characters of output kept when it is cut: what an honest runtime sends at most. */
export const OUTPUT_KEEP = RUN_DEFAULTS.outputLimit
/**
 * Longest output or stderr stored as sent: the runtime's limit plus room for the marker it adds
 * when it cuts (the runner's is the longest, ~50 characters), so honest output is never touched.
 */
export const MAX_STORED_OUTPUT = OUTPUT_KEEP + 256

/** `text` as stored: itself when it fits, else its first OUTPUT_KEEP characters and a marker. */
export function capOutput(text: string): string {
  if (text.length <= MAX_STORED_OUTPUT) return text
  let keep = OUTPUT_KEEP
  // Never split a surrogate pair: a lone half would not survive a round trip through UTF-8.
  const last = text.charCodeAt(keep - 1)
  if (last >= 0xd800 && last <= 0xdbff) keep--
  const cut = text.length - keep
  return `${text.slice(0, keep)}\n[output cut by the orchestrator: ${cut} character${cut === 1 ? '' : 's'} more]\n`
}

/** A report with its output and stderr capped; the same object when nothing needed cutting. */
export function capReport<F extends ResultFrame | JobErrorFrame>(frame: F): F {
  const long = (text: string | undefined) => text !== undefined && text.length > MAX_STORED_OUTPUT
  if (!long(frame.output) && !long(frame.stderr)) return frame
  return {
    ...frame,
    ...(frame.output !== undefined && { output: capOutput(frame.output) }),
    ...(frame.stderr !== undefined && { stderr: capOutput(frame.stderr) }),
  }
}
