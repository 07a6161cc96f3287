/** Hard limits every runtime applies to what a guest hands back. */

/** A result's JSON text longer than this fails the job with RESULT_TOO_LARGE. */
export const MAX_RESULT_CHARS = 4 * 1024 * 1024
