/** Requests per second on one route, measured with autocannon (a load generator the field trusts). */
import autocannon from 'autocannon'

export interface RateResult {
  requestsPerSecond: number
  /** Requests answered over the whole run. */
  requests: number
  latencyP50Ms: number
  latencyP99Ms: number
  errors: number
  non2xx: number
}

export async function measureRate(
  url: string,
  seconds: number,
  connections = 50,
): Promise<RateResult> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 })
  return {
    requestsPerSecond: Math.round(result.requests.average),
    requests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  }
}
