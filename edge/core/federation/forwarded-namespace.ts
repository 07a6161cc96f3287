/**
 * Where a peer's forwarded work is kept here: a namespace of its own per origin orchestrator, so
 * no user of this orchestrator sees it (namespaces are per orchestrator: another's alice is not
 * ours), its count is the peer's quota, and it is never forwarded again (one hop).
 */

const PREFIX = 'p2p-'

/** The namespace this orchestrator records a peer's forwarded jobs under. */
export function forwardedNamespace(peer: string): string {
  return PREFIX + peer
}

/** Whether a namespace holds work forwarded here by a peer. */
export function isForwarded(namespace: string): boolean {
  return namespace.startsWith(PREFIX)
}

/** The start every forwarded namespace shares. */
export const FORWARDED_PREFIX = PREFIX
