/**
 * What the orchestrator limits, and the defaults `npm start` uses. Per-client limits leave loopback
 * clients alone unless `limitLoopback` is set: local tools, internal workers, the tests and the
 * benchmarks all speak from 127.0.0.1 at tens of thousands of requests a second, and anyone on the
 * machine can do worse than flood a port anyway. Every number here: 0 turns that limit off.
 */
export interface LimitSettings {
  /** Requests per second one client may make: a bearer token, else an address (IPv6: its /64). */
  rateLimit: number
  /** Requests a client may make at once before `rateLimit` paces it. */
  rateBurst: number
  /** Apply the per-client limits (rate, connections) to loopback clients too. */
  limitLoopback: boolean
  /** WebSocket connections one address may hold open (Node: the process; the edge: each room). */
  maxConnectionsPerIp: number
  /** Messages per second on one volunteer socket, heartbeats included. */
  volunteerMessageRate: number
  volunteerMessageBurst: number
  /** Messages per second on one `/ws/upload` socket. */
  uploadMessageRate: number
  uploadMessageBurst: number
  /** Jobs one namespace may have waiting for a volunteer. */
  maxPendingJobs: number
  /** Bytes of files one namespace may store. */
  maxStorageBytes: number
  /** Keys one namespace's database may hold. */
  maxKvKeys: number
}

export const DEFAULT_LIMITS: LimitSettings = {
  rateLimit: 100,
  rateBurst: 200,
  limitLoopback: false,
  maxConnectionsPerIp: 256,
  // One internal worker thread reports ~3,000 results or db calls a second here: a volunteer
  // needs many busy threads and a fast orchestrator to come near this.
  volunteerMessageRate: 20_000,
  volunteerMessageBurst: 2_000,
  uploadMessageRate: 1_000,
  uploadMessageBurst: 1_000,
  maxPendingJobs: 100_000,
  maxStorageBytes: 10 * 1024 ** 3,
  maxKvKeys: 1_000_000,
}
