/** The Worker's bindings (wrangler.toml), and the settings they make (core/config-from-env.ts). */
import type { AuthSettings } from '../core/auth/authenticator'
import { defaultConfig, type Config } from '../core/config'
import { configFromEnv } from '../core/config-from-env'
import { HostConfig } from '../core/host-config'
import type { BalancerRpc, JobRoomRpc } from './room-rpc'

export interface Env {
  /** Job rooms: `room-{n}` for n below ROOMS; each owns the namespaces that hash to it. */
  JOB_ROOMS: DurableObjectNamespace<JobRoomRpc>
  /** One object that places volunteers in the rooms that need them. */
  BALANCER: DurableObjectNamespace<BalancerRpc>
  /** Users' files, uploaded services' files and native jobs' outputs. */
  FILES: R2Bucket
  /** The built volunteer PWA (`dist/web`). */
  ASSETS: Fetcher
  /** How many job rooms the namespaces are spread over (a string, as wrangler vars are). */
  ROOMS?: string
  /** When set, runners must present it (`zerverless-runner --token`). */
  RUNNER_TOKEN?: string
  /** JSON log lines at this level and above: debug (a line per request), info, warn, error, silent. */
  LOG_LEVEL?: string
  /** `off` opens the API (local development); anything else, or unset, requires tokens. */
  AUTH?: string
  /** The admin token (a secret: `wrangler secret put ADMIN_TOKEN`). */
  ADMIN_TOKEN?: string
  /** Signs API tokens; defaults to ADMIN_TOKEN, so rotating that also ends the tokens it signed. */
  TOKEN_SECRET?: string
  /**
   * Seals secrets at rest (a secret: `wrangler secret put SECRETS_KEY`, 32 bytes as 64 hex digits
   * or base64: `openssl rand -hex 32`). Without it the secrets routes answer 503.
   */
  SECRETS_KEY?: string
  /** When set, volunteers must present it (`?token=` on /ws/volunteer). */
  VOLUNTEER_TOKEN?: string
  /** Comma-separated browser origins allowed to call the API (none by default). */
  CORS_ORIGINS?: string
}

/** The header a forwarded request carries to tell a room which one it is. */
export const ROOM_HEADER = 'x-zerverless-room'

const parsed = new WeakMap<Env, HostConfig>()

/**
 * The settings the bindings make; read once per isolate's `env`. A Worker's variables never fail
 * to read (a value that does not, takes its default: see config-from-env.ts).
 */
export function workersConfig(env: Env): HostConfig {
  let config = parsed.get(env)
  if (!config) {
    const fromEnv = configFromEnv(env, 'workers')
    config = HostConfig.parse(fromEnv.ok ? fromEnv.value : {})
    parsed.set(env, config)
  }
  return config
}

/** How many job rooms the namespaces are spread over (ROOMS). */
export const roomCount = (env: Env): number => workersConfig(env).rooms

/** Auth as the vars and secrets say: on unless AUTH is `off`. */
export function authSettings(env: Env): AuthSettings {
  const config = workersConfig(env)
  if (config.auth === 'off') return { enabled: false }
  const secret = config.tokenSecret ?? config.adminToken
  return {
    enabled: true,
    ...(config.adminToken && { adminToken: config.adminToken }),
    ...(secret && { secret: new TextEncoder().encode(secret) }),
  }
}

/** Room `index`'s orchestrator config: the bindings' settings, its name and its ids' prefix. */
export function roomConfig(env: Env, index: number): Config {
  return defaultConfig({
    ...workersConfig(env).orchestrator,
    nodeId: `edge-room-${index}`,
    idPrefix: `r${index}-`,
    auth: authSettings(env),
  })
}
