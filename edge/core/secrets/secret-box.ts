/**
 * Values kept encrypted at rest (secrets, repository credentials): AES-256-GCM with Web Crypto, so
 * both hosts share it. Each value gets a fresh 96-bit nonce; what it belongs to (its namespace and
 * name) is bound in as additional data, so a sealed value copied to another row does not open.
 */

const VERSION = 'v1'
const KEY_BYTES = 32
const NONCE_BYTES = 12

export type KeyProblem = { ok: false; reason: string }

/** Seals and opens values with one key; the key never leaves this object. */
export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  /** A key given as 64 hex digits or as base64 of 32 bytes; anything else is refused with why. */
  static async fromText(text: string): Promise<{ ok: true; box: SecretBox } | KeyProblem> {
    const bytes = keyBytes(text.trim())
    if (!bytes)
      return {
        ok: false,
        reason: 'a secrets key must be 32 bytes, as 64 hex digits or base64 (openssl rand -hex 32)',
      }
    return { ok: true, box: await SecretBox.fromBytes(bytes) }
  }

  static async fromBytes(bytes: Uint8Array<ArrayBuffer>): Promise<SecretBox> {
    if (bytes.length !== KEY_BYTES) throw new Error(`a secrets key is ${KEY_BYTES} bytes`)
    const key = await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ])
    return new SecretBox(key)
  }

  /** A new random key as 64 hex digits (what the Node host writes to `{data-dir}/secrets.key`). */
  static newKeyText(): string {
    return toHex(crypto.getRandomValues(new Uint8Array(KEY_BYTES)))
  }

  /** `v1.{nonce}.{ciphertext+tag}` in base64url; `context` must be given again to open it. */
  async seal(plaintext: string, context: string): Promise<string> {
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: encode(context) },
      this.key,
      encode(plaintext),
    )
    return `${VERSION}.${toBase64Url(nonce)}.${toBase64Url(new Uint8Array(sealed))}`
  }

  /** The plaintext, or undefined when the value was sealed with another key or context, or altered. */
  async open(sealed: string, context: string): Promise<string | undefined> {
    const [version, nonce, body] = sealed.split('.')
    if (version !== VERSION || nonce === undefined || body === undefined) return undefined
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64Url(nonce), additionalData: encode(context) },
        this.key,
        fromBase64Url(body),
      )
      return new TextDecoder().decode(plain)
    } catch {
      return undefined
    }
  }
}

const encode = (text: string) => new TextEncoder().encode(text)

function keyBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text))
    return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16))
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = fromBase64Url(text.replace(/=+$/, ''))
    return bytes.length === KEY_BYTES ? bytes : undefined
  }
  return undefined
}

const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}
