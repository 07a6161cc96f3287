/** The Worker's bindings (wrangler.toml). */
import type { AuthSettings } from '../core/auth/authenticator'
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
  /** When set, volunteers must present it (`?token=` on /ws/volunteer). */
  VOLUNTEER_TOKEN?: string
  /** Comma-separated browser origins allowed to call the API (none by default). */
  CORS_ORIGINS?: string
}

export const roomCount = (env: Env): number => {
  const n = Number(env.ROOMS ?? '4')
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : 4
}

/** The header a forwarded request carries to tell a room which one it is. */
export const ROOM_HEADER = 'x-zerverless-room'

/** Auth as the vars and secrets say: on unless AUTH is `off`. */
export function authSettings(env: Env): AuthSettings {
  if (env.AUTH === 'off') return { enabled: false }
  const secret = env.TOKEN_SECRET ?? env.ADMIN_TOKEN
  return {
    enabled: true,
    ...(env.ADMIN_TOKEN && { adminToken: env.ADMIN_TOKEN }),
    ...(secret && { secret: new TextEncoder().encode(secret) }),
  }
}
