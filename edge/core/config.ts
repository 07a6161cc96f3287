/**
 * Everything an operator can tune in the orchestrator, as one schema: each default is declared
 * here (limits in limits/limit-settings.ts) and nowhere else, whichever host or command fills it.
 */
import { z } from 'zod'
import { VERSION } from '../../shared/protocol/version'
import type { AuthSettings } from './auth/authenticator'
import { LimitSettings } from './limits/limit-settings'

const bytes = z.int().min(0)
const millis = z.number().min(0)
const count = z.int().min(0)

const isAuthSettings = (value: unknown): value is AuthSettings =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as AuthSettings).enabled === 'boolean'

/** The orchestrator's settings; `Config.parse({})` is what `npm start` runs with. */
export const Config = z.object({
  nodeId: z.string().default('node-default'),
  version: z.string().default(VERSION),
  /** Request bodies larger than this get 413. */
  maxBodyBytes: bytes.default(1024 * 1024),
  defaultTimeoutSeconds: z.number().positive().default(30),
  maxTimeoutSeconds: z.number().positive().default(3600),
  defaultMaxRetries: count.default(3),
  /** Longest `?wait=` a caller may ask for. */
  maxWaitSeconds: z.number().min(0).default(300),
  maxBatchSize: count.default(10_000),
  /** Largest WebAssembly module accepted (upload or inline), in bytes. */
  maxWasmBytes: bytes.default(10 * 1024 * 1024),
  /** Largest file a storage upload may be; uploads stream to the store, never sit in memory. */
  maxUploadBytes: bytes.default(2 * 1024 * 1024 * 1024),
  timeoutGraceMs: millis.default(1000),
  heartbeatIntervalMs: millis.default(15_000),
  heartbeatMisses: count.default(2),
  helloTimeoutMs: millis.default(10_000),
  maxFrameBytes: bytes.default(16 * 1024 * 1024),
  badFrameLimit: count.default(20),
  /**
   * When set, runners must present it in their hello, and the standalone-service upload socket
   * (`/ws/upload`) must be authenticated with it.
   */
  runnerToken: z.string().optional(),
  /** Put before job and batch ids; a sharded host names the shard there (empty on Node). */
  idPrefix: z.string().default(''),
  /** Rate limits, quotas and connection caps (see limits/limit-settings.ts). */
  limits: LimitSettings.prefault({}),
  /** Who may call the API (see auth/). Off by default: loopback development. */
  auth: z
    .custom<AuthSettings>(isAuthSettings, 'must be auth settings ({ enabled, ... })')
    .default({ enabled: false }),
  /**
   * When set, volunteers must present it (`?token=` or a Bearer header on /ws/volunteer, or
   * `token` in their hello), or another credential: a runner's, an issued token's.
   */
  volunteerToken: z.string().optional(),
  /**
   * The credential of the host's own internal workers, made at start and never shown: it makes
   * them trusted executors even when no volunteer token is set (see volunteers/executor-identity.ts).
   */
  internalToken: z.string().optional(),
  /** Browser origins allowed to call the API cross-origin; none by default (same-origin only). */
  corsOrigins: z.array(z.string()).default([]),
})
export type Config = z.infer<typeof Config>
/** What may be given to make a Config: any field left out takes its default. */
export type ConfigInput = z.input<typeof Config>

/** The name the core has always used for its settings. */
export type OrchestratorConfig = Config

export { VERSION }

/**
 * A complete config: `overrides` over the defaults. Throws on a value of the wrong kind, which is
 * a programming error here: operators' text goes through host-config.ts and config-from-env.ts.
 */
export function defaultConfig(overrides: ConfigInput = {}): Config {
  return Config.parse(overrides)
}
