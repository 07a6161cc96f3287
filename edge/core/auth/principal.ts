/**
 * Who is calling, and what they may do. Rights are per namespace; `*` in a token's namespaces
 * covers every namespace. With auth off everyone is `open`; the admin may do anything.
 */
export const RIGHTS = [
  'jobs',
  'deploy',
  'db',
  'storage',
  'services',
  // Setting, listing and deleting a namespace's secrets (never reading their values).
  'secrets',
  // Executor credentials: a volunteer or runner presenting the token takes its namespaces' work.
  'volunteer',
  'runner',
] as const
export type Right = (typeof RIGHTS)[number]

export const ANY_NAMESPACE = '*'

export type Principal =
  | { kind: 'open' }
  | { kind: 'admin' }
  | { kind: 'token'; id: string; namespaces: string[]; rights: Right[] }
  | { kind: 'anonymous' }

export function can(principal: Principal, right: Right, namespace: string): boolean {
  switch (principal.kind) {
    case 'open':
    case 'admin':
      return true
    case 'anonymous':
      return false
    case 'token':
      return (
        principal.rights.includes(right) &&
        (principal.namespaces.includes(ANY_NAMESPACE) || principal.namespaces.includes(namespace))
      )
  }
}

/** May act on every namespace (listings across namespaces, operator routes). */
export const isOperator = (principal: Principal): boolean =>
  principal.kind === 'open' || principal.kind === 'admin'
