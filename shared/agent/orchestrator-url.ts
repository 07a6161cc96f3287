/**
 * An orchestrator's address as a person types it (`host:8000`, `http://host:8000`,
 * `ws://host:8000/ws/volunteer?token=…`) turned into what an agent connects to: the volunteer
 * socket and the HTTP API behind it. One rule for `zerverless --worker` and `zerverless-runner`.
 */
import type { SettingResult } from './setting-sources'

export interface OrchestratorEndpoints {
  /** `ws(s)://host/ws/volunteer`, or the path and query given, as the socket to open. */
  volunteerUrl: string
  /** `http(s)://host`: where the API is (modules, services' files, outputs). */
  httpBase: string
  /** The host alone, to tell whether the orchestrator is on this machine. */
  hostname: string
}

const SECURE = new Set(['https:', 'wss:'])
const PLAIN = new Set(['http:', 'ws:'])

/**
 * Accepts http(s), ws(s) and a bare `host:port`; a bare host or `/` gets the volunteer path.
 * `role` goes in the query: `runner` lets a sharded orchestrator (the edge) put runners where
 * standalone services live.
 */
export function orchestratorEndpoints(
  raw: string,
  options: { role?: 'runner' } = {},
): SettingResult<OrchestratorEndpoints> {
  let url: URL
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    return { ok: false, error: { code: 'INVALID_SETTING', message: `'${raw}' is not a URL` } }
  }
  const secure = SECURE.has(url.protocol)
  if (!secure && !PLAIN.has(url.protocol))
    return {
      ok: false,
      error: {
        code: 'INVALID_SETTING',
        message: `'${raw}' is not an orchestrator's URL: use http, https, ws or wss`,
      },
    }
  const socket = new URL(url.href)
  socket.protocol = secure ? 'wss:' : 'ws:'
  if (socket.pathname === '/' || socket.pathname === '') socket.pathname = '/ws/volunteer'
  // WebSocket URLs may not carry a fragment.
  socket.hash = ''
  if (options.role) socket.searchParams.set('role', options.role)
  return {
    ok: true,
    value: {
      volunteerUrl: socket.toString(),
      httpBase: `${secure ? 'https' : 'http'}://${url.host}`,
      hostname: url.hostname,
    },
  }
}
