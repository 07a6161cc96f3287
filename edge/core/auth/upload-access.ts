/**
 * Who may use the service upload socket: anyone while the API is open and no runner token is set;
 * otherwise the runner token, the admin token, or an API token with the `services` right.
 */
import type { Authenticator } from './authenticator'

export function uploadAccess(
  auth: Authenticator,
  runnerToken: string | undefined,
): (token: string | undefined) => Promise<boolean> {
  return async (token) => {
    if (!auth.enabled && runnerToken === undefined) return true
    if (token === undefined) return false
    if (runnerToken !== undefined && token === runnerToken) return true
    if (!auth.enabled) return false
    if (auth.isAdminToken(token)) return true
    try {
      const principal = await auth.verify(token)
      return principal.kind === 'token' && principal.rights.includes('services')
    } catch {
      return false
    }
  }
}
