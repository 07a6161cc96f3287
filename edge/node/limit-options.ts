/** The CLI flags for rate limits, quotas and connection caps (see core/limits/limit-settings.ts). */
import type { Command } from 'commander'
import { optionParser } from '../../shared/agent/node/cli-options'
import { limitCount, limitRate } from '../../shared/agent/text-values'
import { DEFAULT_LIMITS, type LimitSettings } from '../core/limits/limit-settings'

const count = optionParser(limitCount)
const rate = optionParser(limitRate)

/** The limit flags as commander parses them. */
export interface LimitFlags {
  rateLimit?: number
  rateBurst?: number
  limitLoopback?: boolean
  maxConnectionsPerIp?: number
  wsMessageRate?: number
  wsMessageBurst?: number
  maxPendingJobs?: number
  maxStorageBytes?: number
  maxKvKeys?: number
}

/** Adds the limit flags; the defaults --help shows are the schema's. */
export function addLimitOptions(program: Command): Command {
  const d = DEFAULT_LIMITS
  return program
    .option(
      '--rate-limit <req/s>',
      'requests a second per client (a bearer token, else an address); 0 for none',
      rate,
      d.rateLimit,
    )
    .option('--rate-burst <n>', 'requests a client may make at once', count, d.rateBurst)
    .option(
      '--limit-loopback',
      'apply the per-client limits (rate, connections) to loopback clients too',
    )
    .option(
      '--max-connections-per-ip <n>',
      'WebSocket connections one address may hold open; 0 for no cap',
      count,
      d.maxConnectionsPerIp,
    )
    .option(
      '--ws-message-rate <msg/s>',
      'messages a second one volunteer socket may send, heartbeats included; 0 for no limit',
      rate,
      d.volunteerMessageRate,
    )
    .option(
      '--ws-message-burst <n>',
      'messages a volunteer socket may send at once',
      count,
      d.volunteerMessageBurst,
    )
    .option(
      '--max-pending-jobs <n>',
      'jobs one namespace may have waiting; 0 for no quota',
      count,
      d.maxPendingJobs,
    )
    .option(
      '--max-storage-bytes <n>',
      'bytes of files one namespace may store; 0 for no quota',
      count,
      d.maxStorageBytes,
    )
    .option(
      '--max-kv-keys <n>',
      'keys one namespace database may hold; 0 for no quota',
      count,
      d.maxKvKeys,
    )
}

/** The limits the given flags set; the ones left out keep their defaults. */
export function limitInput(flags: LimitFlags): Partial<LimitSettings> {
  return {
    rateLimit: flags.rateLimit,
    rateBurst: flags.rateBurst,
    limitLoopback: flags.limitLoopback,
    maxConnectionsPerIp: flags.maxConnectionsPerIp,
    volunteerMessageRate: flags.wsMessageRate,
    volunteerMessageBurst: flags.wsMessageBurst,
    maxPendingJobs: flags.maxPendingJobs,
    maxStorageBytes: flags.maxStorageBytes,
    maxKvKeys: flags.maxKvKeys,
  }
}
