/**
 * Which deployment answers a request path: the exact path, else the longest deployed prefix (whole
 * segments only: "/api" serves "/api/x" but not "/apix"). Kept in memory, rebuilt on change.
 */
import type { Deployment, DeploymentStore } from './deployment-store'

export class FunctionRouter {
  private readonly byUser = new Map<string, Map<string, Deployment>>()

  constructor(store: DeploymentStore) {
    for (const deployment of store.list()) this.put(deployment)
  }

  put(deployment: Deployment): void {
    let paths = this.byUser.get(deployment.user)
    if (!paths) this.byUser.set(deployment.user, (paths = new Map()))
    paths.set(deployment.path, deployment)
  }

  remove(user: string, path: string): void {
    this.byUser.get(user)?.delete(path)
  }

  /** The deployment for `/{user}{path}`, where `path` is "/" or "/a/b". */
  match(user: string, path: string): Deployment | undefined {
    const paths = this.byUser.get(user)
    if (!paths) return undefined
    const segments = path.split('/').filter(Boolean)
    for (let n = segments.length; n >= 0; n--) {
      const found = paths.get(`/${segments.slice(0, n).join('/')}`)
      if (found) return found
    }
    return undefined
  }
}
