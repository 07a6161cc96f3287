/**
 * What the orchestrator limits, and the defaults `npm start` uses. Per-client limits leave loopback
 * clients alone unless `limitLoopback` is set: local tools, internal workers, the tests and the
 * benchmarks all speak from 127.0.0.1 at tens of thousands of requests a second, and anyone on the
 * machine can do worse than flood a port anyway. Every number here: 0 turns that limit off.
 */
import { z } from 'zod'

const count = z.int().min(0)
const rate = z.number().min(0)

/** The limits' schema: each default is declared here and nowhere else. */
export const LimitSettings = z.object({
  /** Requests per second one client may make: a bearer token, else an address (IPv6: its /64). */
  rateLimit: rate.default(100),
  /** Requests a client may make at once before `rateLimit` paces it. */
  rateBurst: count.default(200),
  /** Apply the per-client limits (rate, connections) to loopback clients too. */
  limitLoopback: z.boolean().default(false),
  /** WebSocket connections one address may hold open (Node: the process; the edge: each room). */
  maxConnectionsPerIp: count.default(256),
  // One internal worker thread reports ~3,000 results or db calls a second here: a volunteer
  // needs many busy threads and a fast orchestrator to come near this.
  /** Messages per second on one volunteer socket, heartbeats included. */
  volunteerMessageRate: rate.default(20_000),
  volunteerMessageBurst: count.default(2_000),
  /** Messages per second on one `/ws/upload` socket. */
  uploadMessageRate: rate.default(1_000),
  uploadMessageBurst: count.default(1_000),
  /** Jobs one namespace may have waiting for a volunteer. */
  maxPendingJobs: count.default(100_000),
  /** Bytes of files one namespace may store. */
  maxStorageBytes: count.default(10 * 1024 ** 3),
  /** Keys one namespace's database may hold. */
  maxKvKeys: count.default(1_000_000),
})
export type LimitSettings = z.infer<typeof LimitSettings>

/** Every limit at its default. */
export const DEFAULT_LIMITS: LimitSettings = LimitSettings.parse({})
