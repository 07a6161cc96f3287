/** Everything an operator can tune, with the defaults `npm start` uses. */
import { VERSION } from '../../shared/protocol/version'
import type { AuthSettings } from './auth/authenticator'
import { DEFAULT_LIMITS, type LimitSettings } from './limits/limit-settings'

export interface OrchestratorConfig {
  nodeId: string
  version: string
  /** Request bodies larger than this get 413. */
  maxBodyBytes: number
  defaultTimeoutSeconds: number
  maxTimeoutSeconds: number
  defaultMaxRetries: number
  /** Longest `?wait=` a caller may ask for. */
  maxWaitSeconds: number
  maxBatchSize: number
  /** Largest WebAssembly module accepted (upload or inline), in bytes. */
  maxWasmBytes: number
  /** Largest file a storage upload may be; uploads stream to the store, never sit in memory. */
  maxUploadBytes: number
  timeoutGraceMs: number
  heartbeatIntervalMs: number
  heartbeatMisses: number
  helloTimeoutMs: number
  maxFrameBytes: number
  badFrameLimit: number
  /**
   * When set, runners must present it in their hello, and the standalone-service upload socket
   * (`/ws/upload`) must be authenticated with it.
   */
  runnerToken?: string
  /** Put before job and batch ids; a sharded host names the shard there (empty on Node). */
  idPrefix: string
  /** Rate limits, quotas and connection caps (see limits/limit-settings.ts). */
  limits: LimitSettings
  /** Who may call the API (see auth/). Off by default: loopback development. */
  auth: AuthSettings
  /**
   * When set, volunteers must present it (`?token=` or a Bearer header on /ws/volunteer, or
   * `token` in their hello), or another credential: a runner's, an issued token's.
   */
  volunteerToken?: string
  /**
   * The credential of the host's own internal workers, made at start and never shown: it makes
   * them trusted executors even when no volunteer token is set (see volunteers/executor-identity.ts).
   */
  internalToken?: string
  /** Browser origins allowed to call the API cross-origin; none by default (same-origin only). */
  corsOrigins: string[]
}

export { VERSION }

export function defaultConfig(overrides: Partial<OrchestratorConfig> = {}): OrchestratorConfig {
  return {
    nodeId: 'node-default',
    version: VERSION,
    maxBodyBytes: 1024 * 1024,
    defaultTimeoutSeconds: 30,
    maxTimeoutSeconds: 3600,
    defaultMaxRetries: 3,
    maxWaitSeconds: 300,
    maxBatchSize: 10_000,
    maxWasmBytes: 10 * 1024 * 1024,
    maxUploadBytes: 2 * 1024 * 1024 * 1024,
    timeoutGraceMs: 1000,
    heartbeatIntervalMs: 15_000,
    heartbeatMisses: 2,
    helloTimeoutMs: 10_000,
    maxFrameBytes: 16 * 1024 * 1024,
    badFrameLimit: 20,
    idPrefix: '',
    limits: DEFAULT_LIMITS,
    auth: { enabled: false },
    corsOrigins: [],
    ...overrides,
  }
}
