/**
 * GitHub's push signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`,
 * checked with Web Crypto's verify (a constant-time comparison), so both hosts share it.
 */

/** Whether `header` signs `body` with `secret`; a malformed header is simply false. */
export async function verifySignature(
  secret: string,
  body: Uint8Array<ArrayBuffer>,
  header: string | undefined,
): Promise<boolean> {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? '')
  if (!match?.[1]) return false
  const signature = Uint8Array.from(match[1].match(/../g) ?? [], (pair) => parseInt(pair, 16))
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  return crypto.subtle.verify('HMAC', key, signature, body)
}
