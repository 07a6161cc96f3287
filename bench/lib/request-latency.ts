/** Latency of one request at a time over a keep-alive connection, to sub-millisecond resolution. */
import http from 'node:http'
import { percentile, round } from './stats'

export async function sequentialLatency(
  url: string,
  count: number,
  init: { method?: string; body?: string } = {},
): Promise<{ p50Ms: number; p99Ms: number }> {
  const target = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: init.method ?? 'GET',
          agent,
          headers: init.body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(init.body) }
            : {},
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            res.statusCode && res.statusCode < 400
              ? resolve()
              : reject(new Error(`HTTP ${res.statusCode}`)),
          )
        },
      )
      req.on('error', reject)
      req.end(init.body)
    })
  for (let i = 0; i < Math.min(100, count); i++) await once()
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await once()
    samples.push(performance.now() - t)
  }
  agent.destroy()
  return { p50Ms: round(percentile(samples, 50), 3), p99Ms: round(percentile(samples, 99), 3) }
}
