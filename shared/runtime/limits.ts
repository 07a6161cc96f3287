/** Hard limits every runtime applies to what a guest hands back or holds. */
import type { JobError } from '../protocol/job'

const MiB = 1024 * 1024

/** A result's JSON text longer than this fails the job with RESULT_TOO_LARGE. */
export const MAX_RESULT_CHARS = 4 * MiB

/** The failure for a result whose JSON text is `chars` long, if that is over the limit. */
export function resultTooLarge(chars: number): JobError | undefined {
  if (chars <= MAX_RESULT_CHARS) return undefined
  return {
    code: 'RESULT_TOO_LARGE',
    message: `the result is ${chars} characters of JSON; the limit is ${MAX_RESULT_CHARS}`,
  }
}

/**
 * Entries a WebAssembly module's tables may reach together: V8 keeps ~28 bytes per entry on its own
 * heap, so this is ~28 MiB. Compilers size function tables to the functions whose address is
 * taken, typically a few thousand.
 */
export const MAX_TABLE_ENTRIES = 1024 * 1024

/** What a WASI job's in-memory `/tmp` may hold: file bytes plus names. */
export const MAX_TMP_BYTES = 64 * MiB
/** Files and directories a WASI job's `/tmp` may hold. */
export const MAX_TMP_ENTRIES = 10_000
/** File descriptors a WASI job may open in its life (the shim never reuses their numbers). */
export const MAX_OPENED_FILES = 100_000
