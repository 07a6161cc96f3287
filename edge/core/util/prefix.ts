/** Prefix ranges for ordered keys: `x >= prefix AND x < prefixEnd(prefix)` is "starts with prefix". */

/** The smallest string greater than every string that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u{10FFFF}'.repeat(2)
  const last = prefix.charCodeAt(prefix.length - 1)
  return prefix.slice(0, -1) + String.fromCharCode(last + 1)
}
