/**
 * A handler's `{status, headers, body}` as the HTTP response, or the reason it is not one. Bodies
 * that are tables/objects go out as JSON; strings as they are.
 */
import type { JsonValue } from '../../../shared/protocol/json'

/** Hop-by-hop and length headers belong to the server, not the handler. */
const SERVER_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'te',
  'trailer',
])

/** RFC 9110 `token`: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/**
 * What a header value may hold as Node writes it: tab, visible ASCII and obs-text. CR and LF
 * (response splitting), NUL and other control characters are refused here, where the handler is
 * told why, rather than by the HTTP server, which would answer 500.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

export type Translated = { ok: true; response: Response } | { ok: false; problem: string }

export function toHttpResponse(result: JsonValue, sandbox: string): Translated {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    return {
      ok: false,
      problem: `the handler must return a table/object with status, headers and body; it returned ${describe(result)}`,
    }
  }
  const { status = 200, headers = {}, body = null, ...rest } = result
  const unknown = Object.keys(rest)
  if (unknown.length)
    return {
      ok: false,
      problem: `the response has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; use status, headers and body`,
    }
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return {
      ok: false,
      problem: `status must be a whole number from 200 to 599; got ${JSON.stringify(status)}`,
    }
  }
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    return {
      ok: false,
      problem: `headers must be a table/object of strings; got ${describe(headers)}`,
    }
  }
  const out = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' && typeof value !== 'number')
      return { ok: false, problem: `header '${name}' must be a string; got ${describe(value)}` }
    if (!HEADER_NAME.test(name))
      return {
        ok: false,
        problem: `header name ${JSON.stringify(name)} is not valid: use letters, digits and !#$%&'*+-.^_\`|~`,
      }
    if (SERVER_HEADERS.has(name.toLowerCase())) continue
    const text = String(value)
    if (!HEADER_VALUE.test(text))
      return {
        ok: false,
        problem: `header '${name}' has a character a header value may not hold (CR, LF, NUL, another control character, or one above U+00FF)`,
      }
    try {
      out.set(name, text)
    } catch {
      return { ok: false, problem: `header '${name}' is not a valid HTTP header` }
    }
  }
  let text: string | null
  if (body === null) text = null
  else if (typeof body === 'string') {
    text = body
    if (!out.has('content-type')) out.set('content-type', 'text/plain; charset=utf-8')
  } else {
    text = JSON.stringify(body)
    if (!out.has('content-type')) out.set('content-type', 'application/json')
  }
  // Functions answer on the orchestrator's origin: an opaque origin keeps their pages from the
  // volunteer page's storage, unless the handler chose its own policy.
  if (!out.has('content-security-policy')) out.set('content-security-policy', sandbox)
  const empty = status === 204 || status === 205 || status === 304
  return { ok: true, response: new Response(empty ? null : text, { status, headers: out }) }
}

function describe(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'nothing (nil/null)'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
