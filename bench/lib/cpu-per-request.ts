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

/**
 * Starts counting the CPU of `pid` and of its worker host (its first child); `stop(count)` gives
 * it per unit of work (a request, a job) done meanwhile.
 */
export function countCpuPer(pid: number): { stop(count: number): CpuPerRequest } {
  const host = childPid(pid)
  const counter = countThreadCpu(host === undefined ? [pid] : [pid, host])
  return {
    stop: (count) => {
      const [server, hostCpu] = counter.stop()
      const per = (cpuSeconds: number) => round((cpuSeconds * 1e6) / Math.max(1, count), 1)
      const main = server?.main ?? 0
      const other = server?.others ?? 0
      return {
        totalUs: per(main + other + (hostCpu ? hostCpu.main + hostCpu.others : 0)),
        mainUs: per(main),
        otherUs: per(other),
        ...(hostCpu && { hostMainUs: per(hostCpu.main), hostOtherUs: per(hostCpu.others) }),
      }
    },
  }
}

/** `measureRate` on `url`, counting the CPU of `pid` and of its worker host (its first child). */
export async function measureWithCpu(
  url: string,
  seconds: number,
  pid: number,
): Promise<RateResult & { cpu: CpuPerRequest }> {
  const counter = countCpuPer(pid)
  const rate = await measureRate(url, seconds)
  return { ...rate, cpu: counter.stop(rate.requests) }
}
