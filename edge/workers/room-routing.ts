/**
 * Which job room holds what: everything of one namespace (its jobs, functions, KV and files)
 * lives in the room its name hashes to, and job and batch ids carry their room (`r3-…`, the
 * id prefix each room is configured with).
 */

/** FNV-1a: stable across deploys and hosts, and cheap. */
export function roomOf(namespace: string, rooms: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < namespace.length; i++) {
    hash ^= namespace.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % rooms
}

/** The room named in a job or batch id, or undefined when the id names none of ours. */
export function roomOfId(id: string, rooms: number): number | undefined {
  const match = /^r(\d{1,3})-/.exec(id)
  if (!match) return undefined
  const room = Number(match[1])
  return room < rooms ? room : undefined
}
