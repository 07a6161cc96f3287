/**
 * Turns an `Authorization: Bearer` header into a principal: the admin token, or an API token (a
 * JWT signed HS256 with the orchestrator's secret, naming its namespaces and rights, not revoked).
 * Only HS256 is accepted, so `alg: none` and key-confusion tokens fail verification.
 */
import { errors, jwtVerify, SignJWT } from 'jose'
import { HttpError } from '../http-error'
import { RIGHTS, type Principal, type Right } from './principal'
import type { TokenRecord } from './token-store'

const ISSUER = 'zerverless'

export interface AuthSettings {
  /** Off: the API is open (loopback development). */
  enabled: boolean
  adminToken?: string
  /** Signs API tokens; at least 32 bytes. */
  secret?: Uint8Array
}

export interface IssueRequest {
  name: string
  namespaces: string[]
  rights: Right[]
  expiresInSeconds?: number
}

export class Authenticator {
  constructor(
    readonly settings: AuthSettings,
    /** Whether a token id was issued and is not revoked (a host may ask elsewhere). */
    private readonly isActive: (id: string) => boolean | Promise<boolean>,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled
  }

  /** The caller behind an Authorization header; throws 401 for a token that is not good. */
  async principal(authorization: string | undefined): Promise<Principal> {
    if (!this.settings.enabled) return { kind: 'open' }
    if (!authorization) return { kind: 'anonymous' }
    const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(authorization)
    if (!match?.[1])
      throw unauthorized('INVALID_TOKEN', 'send the token as "Authorization: Bearer <token>"')
    const token = match[1]
    const admin = this.settings.adminToken
    if (admin !== undefined && sameString(token, admin)) return { kind: 'admin' }
    return this.verify(token)
  }

  /** Whether `token` is the admin token (for sockets that take it outside a header). */
  isAdminToken(token: string | undefined): boolean {
    const admin = this.settings.adminToken
    return token !== undefined && admin !== undefined && sameString(token, admin)
  }

  async verify(token: string): Promise<Principal> {
    const secret = this.settings.secret
    if (!secret) throw unauthorized('INVALID_TOKEN', 'this orchestrator issues no API tokens')
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
    try {
      ;({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer: ISSUER }))
    } catch (err) {
      if (err instanceof errors.JWTExpired)
        throw unauthorized('TOKEN_EXPIRED', 'the token has expired')
      throw unauthorized('INVALID_TOKEN', 'the token is not one this orchestrator issued')
    }
    const id = payload.jti
    const namespaces = payload.ns
    const rights = payload.rights
    if (
      typeof id !== 'string' ||
      !Array.isArray(namespaces) ||
      !namespaces.every((n) => typeof n === 'string') ||
      !Array.isArray(rights) ||
      !rights.every((r) => (RIGHTS as readonly unknown[]).includes(r))
    )
      throw unauthorized('INVALID_TOKEN', 'the token is not one this orchestrator issued')
    if (!(await this.isActive(id))) throw unauthorized('TOKEN_REVOKED', 'the token was revoked')
    return { kind: 'token', id, namespaces: namespaces as string[], rights: rights as Right[] }
  }

  async issue(
    request: IssueRequest,
    now = Date.now(),
  ): Promise<{ token: string; record: TokenRecord }> {
    const secret = this.settings.secret
    if (!secret)
      throw new HttpError(503, 'AUTH_NOT_CONFIGURED', 'this orchestrator has no token secret')
    const id = crypto.randomUUID()
    const expires =
      request.expiresInSeconds === undefined ? null : now + request.expiresInSeconds * 1000
    let jwt = new SignJWT({ ns: request.namespaces, rights: request.rights })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(request.name)
      .setJti(id)
      .setIssuedAt(Math.floor(now / 1000))
    if (expires !== null) jwt = jwt.setExpirationTime(Math.floor(expires / 1000))
    const token = await jwt.sign(secret)
    return {
      token,
      record: {
        id,
        name: request.name,
        namespaces: request.namespaces,
        rights: request.rights,
        created_at: now,
        expires_at: expires,
        revoked_at: null,
      },
    }
  }
}

export function unauthorized(code: string, message: string): HttpError {
  return new HttpError(401, code, message, { headers: { 'www-authenticate': 'Bearer' } })
}

/** Compares without an early exit, so the time taken does not tell how much of a guess matched. */
function sameString(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i % (a.length || 1)) || 0) ^ (b.charCodeAt(i % (b.length || 1)) || 0)
  return diff === 0
}
