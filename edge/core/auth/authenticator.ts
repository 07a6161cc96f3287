/**
 * Turns an `Authorization: Bearer` header into a principal: the admin token, or an API token (a
 * JWT signed HS256 with the orchestrator's secret, naming its namespaces and rights, not revoked).
 * Only HS256 is accepted, so `alg: none` and key-confusion tokens fail verification. The claims are
 * also held to what the token store says was issued under the token's id: should the secret leak,
 * a token signed with it still cannot reach beyond an issued token's namespaces, rights and expiry.
 */
import { errors, jwtVerify, SignJWT } from 'jose'
import { HttpError } from '../http-error'
import { bearerToken } from './bearer'
import { ANY_NAMESPACE, RIGHTS, type Principal, type Right } from './principal'
import type { TokenRecord } from './token-store'

/** What was issued under a token id, as the token store keeps it. */
export type TokenGrant = Pick<TokenRecord, 'namespaces' | 'rights' | 'expires_at' | 'revoked_at'>

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
    /** What was issued under a token id, if anything (a host may ask elsewhere). */
    private readonly grantOf: (
      id: string,
    ) => TokenGrant | undefined | Promise<TokenGrant | undefined>,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled
  }

  /** The caller behind an Authorization header; throws 401 for a token that is not good. */
  principal(authorization: string | undefined): Promise<Principal> {
    return this.resolve(authorization, (token) => this.verify(token))
  }

  /**
   * The caller as far as the header alone tells (the admin token, or a token this orchestrator
   * signed, unexpired), without asking the token store about revocation or grants: for a front
   * that only decides where a request goes, behind which `principal` decides what it may do.
   */
  signedPrincipal(authorization: string | undefined): Promise<Principal> {
    return this.resolve(authorization, async (token) => {
      const claims = await this.claimsOf(token)
      return { kind: 'token', id: claims.id, namespaces: claims.namespaces, rights: claims.rights }
    })
  }

  private async resolve(
    authorization: string | undefined,
    verify: (token: string) => Promise<Principal>,
  ): Promise<Principal> {
    if (!this.settings.enabled) return { kind: 'open' }
    if (!authorization) return { kind: 'anonymous' }
    const token = bearerToken(authorization)
    if (!token)
      throw unauthorized('INVALID_TOKEN', 'send the token as "Authorization: Bearer <token>"')
    const admin = this.settings.adminToken
    if (admin !== undefined && sameString(token, admin)) return { kind: 'admin' }
    return verify(token)
  }

  /** Whether `token` is the admin token (for sockets that take it outside a header). */
  isAdminToken(token: string | undefined): boolean {
    const admin = this.settings.adminToken
    return token !== undefined && admin !== undefined && sameString(token, admin)
  }

  async verify(token: string): Promise<Principal> {
    const claims = await this.claimsOf(token)
    const grant = await this.grantOf(claims.id)
    if (!grant) throw unauthorized('INVALID_TOKEN', 'the token is not one this orchestrator issued')
    if (grant.revoked_at !== null) throw unauthorized('TOKEN_REVOKED', 'the token was revoked')
    if (grant.expires_at !== null && grant.expires_at <= Date.now())
      throw unauthorized('TOKEN_EXPIRED', 'the token has expired')
    if (!withinGrant(claims, grant))
      throw unauthorized('INVALID_TOKEN', 'the token claims more than was issued under its id')
    return { kind: 'token', id: claims.id, namespaces: claims.namespaces, rights: claims.rights }
  }

  /** The claims of a token this orchestrator signed (HS256, its issuer, unexpired, well formed). */
  private async claimsOf(token: string): Promise<Claims> {
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
    const { jti: id, ns: namespaces, rights, exp } = payload
    if (
      typeof id !== 'string' ||
      !Array.isArray(namespaces) ||
      !namespaces.every((n) => typeof n === 'string') ||
      !Array.isArray(rights) ||
      !rights.every((r) => (RIGHTS as readonly unknown[]).includes(r))
    )
      throw unauthorized('INVALID_TOKEN', 'the token is not one this orchestrator issued')
    return { id, namespaces: namespaces as string[], rights: rights as Right[], exp }
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

interface Claims {
  id: string
  namespaces: string[]
  rights: Right[]
  /** Seconds since the epoch; absent for a token that does not expire. */
  exp: number | undefined
}

/** Claims that name only issued namespaces and rights, and expire no later than the grant. */
function withinGrant(claims: Claims, grant: TokenGrant): boolean {
  const anyNamespace = grant.namespaces.includes(ANY_NAMESPACE)
  if (!claims.namespaces.every((ns) => anyNamespace || grant.namespaces.includes(ns))) return false
  if (!claims.rights.every((right) => grant.rights.includes(right))) return false
  // Issued tokens carry `exp` in whole seconds, rounded down from the grant's milliseconds.
  if (grant.expires_at !== null)
    return claims.exp !== undefined && claims.exp * 1000 <= grant.expires_at
  return true
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
