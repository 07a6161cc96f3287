/**
 * What a host reads at start besides the orchestrator's Config: where to listen and keep data
 * (Node), how many rooms (Workers), how much to log and how to authenticate (both). One schema for
 * both hosts, so each default is declared once; the flags (edge/node/cli-program.ts) and the
 * environment (config-from-env.ts) only fill it.
 */
import { z } from 'zod'
import { isLogThreshold, LOG_THRESHOLDS, type LogThreshold } from './observability/logger'
import { Config } from './config'

/** Where JSON log lines start: `debug` adds a line per request, `silent` writes none. */
const logThreshold = z.custom<LogThreshold>(
  (value) => typeof value === 'string' && isLogThreshold(value),
  `must be one of ${LOG_THRESHOLDS.join(', ')}`,
)

export const HostConfig = z.object({
  /** Node: the HTTP port; 0 picks a free one. */
  port: z.int().min(0).max(65535).default(8000),
  /** Node: the address to listen on; loopback unless the API is protected. */
  host: z.string().default('127.0.0.1'),
  /** Node: where jobs, files and the auth secrets are kept. */
  dataDir: z.string().default('./data'),
  /** Node: internal workers; absent, one per CPU core (which only the host can count). */
  workers: z.int().min(0).max(1024).optional(),
  /** Node: what warm function contexts may hold per internal worker's sandbox thread, in MiB (absent, 64). */
  warmBudgetMb: z.int().min(0).max(65536).optional(),
  /**
   * Node: the longest a client may take to send a whole request (headers: at most 60 s). Node's
   * own default (5 minutes) would cut a 2 GiB upload slower than 7 MB/s.
   */
  requestTimeoutSeconds: z
    .number()
    .positive()
    .default(30 * 60),
  logLevel: logThreshold.default('info'),
  /**
   * Whether the API wants tokens. Absent, Node decides by the address (on unless loopback) and
   * Workers turn it on.
   */
  auth: z.enum(['on', 'off']).optional(),
  /** The admin's token; Node makes and keeps one in the data directory when none is given. */
  adminToken: z.string().optional(),
  /**
   * Encrypts secrets and repository credentials at rest (64 hex digits or base64 of 32 bytes).
   * Node generates one into `{data-dir}/secrets.key` (0600) when none is given; Workers take it
   * from the `SECRETS_KEY` secret.
   */
  secretsKey: z.string().optional(),
  /** Workers: signs API tokens; the admin token signs them when absent. */
  tokenSecret: z.string().optional(),
  /** Workers: how many job rooms the namespaces are spread over. */
  rooms: z.int().min(1).max(256).default(4),
  /** Node: joining a mesh of orchestrators (see federation/); the Workers host stays out. */
  p2p: z
    .object({
      /** The libp2p TCP port; with neither it nor `bootstrap` no P2P port is opened. */
      port: z.int().min(0).max(65535).optional(),
      host: z.string().default('127.0.0.1'),
      /** Multiaddrs of peers to join through (`/ip4/…/tcp/…/p2p/…`). */
      bootstrap: z.array(z.string()).default([]),
      /** A libp2p private-network key file: nodes without it cannot connect. */
      swarmKeyFile: z.string().optional(),
      /** The only peer ids we send work to and take work from. */
      allow: z.array(z.string()).optional(),
      /** Jobs waiting here longer go to a peer that can run them. */
      forwardAfterSeconds: z.number().positive().optional(),
    })
    .prefault({}),
  /** The orchestrator's own settings (config.ts). */
  orchestrator: Config.prefault({}),
})
export type HostConfig = z.infer<typeof HostConfig>
/** A host's settings as flags and variables give them: anything left out takes its default. */
export type HostConfigInput = z.input<typeof HostConfig>
