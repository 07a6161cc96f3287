/**
 * Who may use the service upload socket, and into which namespaces: anyone, anywhere, while the
 * API is open and no runner token is set; otherwise the runner token or the admin token (every
 * namespace), or an API token with the `services` right (the namespaces it covers).
 */
import type { UploadScope } from '../services/upload-connection'
import type { Authenticator } from './authenticator'
import { ANY_NAMESPACE } from './principal'

const everywhere: UploadScope = () => true

export function uploadAccess(
  auth: Authenticator,
  runnerToken: string | undefined,
): (token: string | undefined) => Promise<UploadScope | undefined> {
  return async (token) => {
    if (!auth.enabled && runnerToken === undefined) return everywhere
    if (token === undefined) return undefined
    if (runnerToken !== undefined && token === runnerToken) return everywhere
    if (!auth.enabled) return undefined
    if (auth.isAdminToken(token)) return everywhere
    try {
      const principal = await auth.verify(token)
      if (principal.kind !== 'token' || !principal.rights.includes('services')) return undefined
      const { namespaces } = principal
      return namespaces.includes(ANY_NAMESPACE) ? everywhere : (ns) => namespaces.includes(ns)
    } catch {
      return undefined
    }
  }
}
