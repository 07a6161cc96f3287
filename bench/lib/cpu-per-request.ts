/**
 * A load run with the CPU it cost, per request and per thread: what the table reports, and
 * what stays comparable on a machine whose cores other work shares (req/s does not).
 */
import { measureRate, type RateResult } from './http-load'
import { round } from './stats'
import { childPid, countThreadCpu } from './thread-cpu'

/** CPU µs per answered request: all of it, and where it went. */
export interface CpuPerRequest {
  totalUs: number
  /** The server's main thread (the orchestrator's event loop, or bare Hono's). */
  mainUs: number
  /** The server's other threads (V8's helpers, libuv's pool). */
  otherUs: number
  /** The worker host process's main thread (its volunteer agents), when there is one. */
  hostMainUs?: number
  /** The worker host's other threads: its sandbox threads, and V8's helpers. */
  hostOtherUs?: number
}

/** `measureRate` on `url`, counting the CPU of `pid` and of its worker host (its first child). */
export async function measureWithCpu(
  url: string,
  seconds: number,
  pid: number,
): Promise<RateResult & { cpu: CpuPerRequest }> {
  const host = childPid(pid)
  const counter = countThreadCpu(host === undefined ? [pid] : [pid, host])
  const rate = await measureRate(url, seconds)
  const [server, hostCpu] = counter.stop()
  const perRequest = (cpuSeconds: number) => round((cpuSeconds * 1e6) / rate.requests, 1)
  const main = server?.main ?? 0
  const other = server?.others ?? 0
  const cpu: CpuPerRequest = {
    totalUs: perRequest(main + other + (hostCpu ? hostCpu.main + hostCpu.others : 0)),
    mainUs: perRequest(main),
    otherUs: perRequest(other),
    ...(hostCpu && {
      hostMainUs: perRequest(hostCpu.main),
      hostOtherUs: perRequest(hostCpu.others),
    }),
  }
  return { ...rate, cpu }
}
