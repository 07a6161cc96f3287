/**
 * Reading `Authorization: Bearer <token>`. The scheme name is case-insensitive (RFC 7235 §2.1:
 * `bearer x` and `BEARER x` are the same header), the token one run of visible ASCII (RFC 6750's
 * b64token, with room for the other tokens this API takes).
 */
const BEARER = /^bearer +([\x21-\x7e]{1,4096}) *$/i

/** The token of a Bearer header, or undefined when the header is absent or not of that form. */
export function bearerToken(header: string | null | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined
}

/**
 * The token a WebSocket upgrade request offers (volunteers, upload sockets): a Bearer header,
 * else `?token=`, since browsers cannot set headers on a WebSocket.
 */
export function offeredToken(request: Request): string | undefined {
  const bearer = bearerToken(request.headers.get('authorization'))
  return bearer ?? new URL(request.url).searchParams.get('token') ?? undefined
}
