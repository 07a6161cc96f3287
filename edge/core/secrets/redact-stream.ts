/**
 * Redaction of a byte stream (a native run's stdout.txt, stderr.txt and logs.txt as its runner
 * uploads them): every occurrence of a secret value's UTF-8 bytes becomes `[secret NAME]`, also
 * across chunk boundaries. Only the runner's own stream files go through it: other outputs may be
 * binary, where a rewrite could corrupt them (see docs/secrets.md).
 */
import { MIN_REDACTED } from './redact'
import type { SecretValues } from './secret-service'

interface Needle {
  bytes: Uint8Array
  mark: Uint8Array
}

/** A stream that passes `body` through with the values replaced; `body` itself if none qualify. */
export function redactStream(
  body: ReadableStream<Uint8Array>,
  values: SecretValues,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const needles: Needle[] = Object.entries(values)
    .filter(([, value]) => value.length >= MIN_REDACTED)
    .map(([name, value]) => ({
      bytes: encoder.encode(value),
      mark: encoder.encode(`[secret ${name}]`),
    }))
    .sort((a, b) => b.bytes.length - a.bytes.length)
  if (needles.length === 0) return body
  const longest = needles[0]?.bytes.length ?? 0
  const firsts = new Set(needles.map((n) => n.bytes[0]))
  let carry = new Uint8Array(0)

  const scan = (buffer: Uint8Array, final: boolean): Uint8Array => {
    const out: Uint8Array[] = []
    let start = 0
    let i = 0
    for (; i < buffer.length; i++) {
      // Near the end a value may continue in the next chunk: keep the rest for then.
      if (!final && buffer.length - i < longest) break
      if (!firsts.has(buffer[i])) continue
      const hit = needles.find((n) => matchesAt(buffer, i, n.bytes))
      if (!hit) continue
      out.push(buffer.subarray(start, i), hit.mark)
      i += hit.bytes.length - 1
      start = i + 1
    }
    out.push(buffer.subarray(start, i))
    carry = final ? new Uint8Array(0) : buffer.slice(i)
    return concat(out)
  }

  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const done = scan(concat([carry, chunk]), false)
        if (done.length > 0) controller.enqueue(done)
      },
      flush(controller) {
        const done = scan(carry, true)
        if (done.length > 0) controller.enqueue(done)
      },
    }),
  )
}

function matchesAt(buffer: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at + needle.length > buffer.length) return false
  for (let j = 0; j < needle.length; j++) if (buffer[at + j] !== needle[j]) return false
  return true
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) size += part.length
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
