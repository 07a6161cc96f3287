/**
 * Who a volunteer is, decided once per connection from the credential it presents (in its hello,
 * or as `?token=` / a Bearer header on `/ws/volunteer`). Trust and the namespaces it may serve
 * follow from that, never from what the volunteer says about itself (`agent.kind` is a label).
 */
import type { Authenticator } from '../auth/authenticator'
import { HttpError } from '../http-error'
import { ANY_NAMESPACE } from '../auth/principal'

type IdentityKind =
  /** The orchestrator's own worker threads, with a credential the process made at start. */
  | 'internal'
  /** The shared `--volunteer-token`. */
  | 'volunteer-token'
  /** The shared `--runner-token`. */
  | 'runner-token'
  | 'admin'
  /** A token the admin issued with the `volunteer` or `runner` right, bound to its namespaces. */
  | 'token'
  /** No credential: a browser tab anyone can open. */
  | 'anonymous'

export interface ExecutorIdentity {
  kind: IdentityKind
  /**
   * Trusted executors may take jobs that require one (`executor: "trusted"`), functions by
   * default, and their guests reach the job's whole namespace database.
   */
  trusted: boolean
  /** May say hello as a runner (with a `peer`), and so be sent native runs and their secrets. */
  runner: boolean
  /**
   * May be sent work that declares secrets, with their values: only executors the admin vouched
   * for (internal workers, the runner token, the admin's token, tokens with the `runner` right).
   * Never an anonymous tab, the shared volunteer token or a `volunteer`-right token, whatever auth
   * says; and a session whose hello says it is a browser loses it too (see VolunteerSession).
   */
  secrets?: boolean
  /** The only namespaces whose work it may take; undefined: every namespace. */
  namespaces?: string[]
  /** An issued token's id (shown to the admin, and what revoking it ends). */
  tokenId?: string
}

export type Identified = { ok: true; identity: ExecutorIdentity } | { ok: false; message: string }

export interface CredentialSettings {
  auth: Authenticator
  volunteerToken?: string
  runnerToken?: string
  /** Made by the Node host at start for its internal workers; never leaves the process. */
  internalToken?: string
}

const everywhere = (kind: IdentityKind, runner: boolean, secrets: boolean): ExecutorIdentity => ({
  kind,
  trusted: true,
  runner,
  ...(secrets && { secrets: true }),
})

export class ExecutorCredentials {
  constructor(private readonly settings: CredentialSettings) {}

  /**
   * Works out who presents `token` (undefined: nobody). Refused: a credential that is not good,
   * or none where one is required. With auth off the API is open to whoever can reach it, so an
   * anonymous volunteer is trusted there: refusing it the database would protect nothing that
   * `GET /api/db/...` does not already hand out.
   */
  async identify(token: string | undefined): Promise<Identified> {
    const { auth, volunteerToken, runnerToken, internalToken } = this.settings
    if (token !== undefined) {
      if (internalToken !== undefined && sameSecret(token, internalToken))
        return accepted(everywhere('internal', false, true))
      if (runnerToken !== undefined && sameSecret(token, runnerToken))
        return accepted(everywhere('runner-token', true, true))
      if (volunteerToken !== undefined && sameSecret(token, volunteerToken))
        return accepted(everywhere('volunteer-token', false, false))
      if (auth.enabled) return this.issued(token)
      if (volunteerToken !== undefined)
        return refused('this is not the volunteer token of this orchestrator')
    }
    if (volunteerToken !== undefined)
      return refused(
        'this orchestrator takes volunteers with a token only: its volunteer token, or one the admin issued with the volunteer right (?token= or "token" in hello)',
      )
    return accepted(
      auth.enabled
        ? { kind: 'anonymous', trusted: false, runner: false }
        : { kind: 'anonymous', trusted: true, runner: runnerToken === undefined },
    )
  }

  private async issued(token: string): Promise<Identified> {
    const { auth } = this.settings
    if (auth.isAdminToken(token)) return accepted(everywhere('admin', true, true))
    let principal
    try {
      principal = await auth.verify(token)
    } catch (err) {
      // Its own verdicts (expired, revoked, not ours) are for the volunteer; anything else is not.
      return refused(
        err instanceof HttpError ? err.message : 'the token could not be checked; try again',
      )
    }
    if (principal.kind !== 'token') return refused('the token is not good')
    const runner = principal.rights.includes('runner')
    if (!runner && !principal.rights.includes('volunteer'))
      return refused("this token grants neither the 'volunteer' nor the 'runner' right")
    return accepted({
      kind: 'token',
      trusted: true,
      runner,
      ...(runner && { secrets: true }),
      tokenId: principal.id,
      ...(!principal.namespaces.includes(ANY_NAMESPACE) && { namespaces: principal.namespaces }),
    })
  }
}

/**
 * The namespaces a volunteer serves: those it asked for (none: all), narrowed to those its
 * credential covers. Undefined: every namespace; an empty list: none of those it asked for.
 */
export function servedNamespaces(
  asked: string[] | undefined,
  identity: ExecutorIdentity,
): string[] | undefined {
  const wanted = asked?.length ? asked : undefined
  if (!identity.namespaces) return wanted
  if (!wanted) return [...identity.namespaces]
  return wanted.filter((ns) => identity.namespaces?.includes(ns))
}

const accepted = (identity: ExecutorIdentity): Identified => ({ ok: true, identity })
const refused = (message: string): Identified => ({ ok: false, message })

/** Compares without an early exit, so the time taken does not tell how much of a guess matched. */
function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i % (a.length || 1)) || 0) ^ (b.charCodeAt(i % (b.length || 1)) || 0)
  return diff === 0
}
