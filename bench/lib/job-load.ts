/**
 * A closed-loop job driver: `concurrency` clients each submit a job and wait for it to finish
 * (POST /api/jobs, then GET /api/jobs/{id}?wait=), over keep-alive connections.
 */
import http from 'node:http'
import { countCpuPer, type CpuPerRequest } from './cpu-per-request'
import { percentile, round } from './stats'

export interface JobLoadResult {
  jobs: number
  failed: number
  seconds: number
  jobsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  /** CPU µs per job, per thread of the server and its worker host (when `cpuOf` was given). */
  cpu?: CpuPerRequest
}

/** One request on a keep-alive agent; resolves with the status and the body as text. */
export function request(
  agent: http.Agent,
  base: URL,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent,
        headers: body
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

export async function runJobLoad(
  url: string,
  job: Record<string, unknown>,
  options: { concurrency: number; seconds: number; warmupSeconds?: number; cpuOf?: number },
): Promise<JobLoadResult> {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency * 2 })
  const body = JSON.stringify(job)
  const latencies: number[] = []
  let failed = 0
  let measuring = false
  const warmupEnd = Date.now() + (options.warmupSeconds ?? 1) * 1000
  const end = warmupEnd + options.seconds * 1000
  let measuredFrom = 0
  let counter: ReturnType<typeof countCpuPer> | undefined
  let finished = 0

  const client = async () => {
    while (Date.now() < end) {
      if (!measuring && Date.now() >= warmupEnd) {
        measuring = true
        measuredFrom = Date.now()
        if (options.cpuOf !== undefined) counter = countCpuPer(options.cpuOf)
      }
      const started = performance.now()
      const created = await request(agent, base, 'POST', '/api/jobs', body)
      if (created.status !== 201)
        throw new Error(`submit failed: ${created.status} ${created.text}`)
      const { id, status } = JSON.parse(created.text) as { id: string; status: string }
      let done =
        status === 'completed' || status === 'failed' ? JSON.parse(created.text) : undefined
      while (!done) {
        const res = await request(agent, base, 'GET', `/api/jobs/${id}?wait=30`)
        const parsed = JSON.parse(res.text) as { status: string }
        if (parsed.status !== 'pending' && parsed.status !== 'running') done = parsed
      }
      if (measuring) finished++
      if (measuring && Date.now() <= end) {
        latencies.push(performance.now() - started)
        if (done.status !== 'completed') failed++
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, client))
  // Every job finished since measuring began, the last ones past the end too, paid for its CPU.
  const cpu = counter?.stop(finished)
  agent.destroy()
  const seconds = (Date.now() - measuredFrom) / 1000
  return {
    jobs: latencies.length,
    failed,
    seconds: round(seconds),
    jobsPerSecond: Math.round(latencies.length / seconds),
    latencyP50Ms: round(percentile(latencies, 50)),
    latencyP99Ms: round(percentile(latencies, 99)),
    ...(cpu && { cpu }),
  }
}

/** Submits one batch and waits for all of it: throughput without per-job HTTP round trips. */
export async function runBatch(
  url: string,
  job: Record<string, unknown>,
  count: number,
): Promise<{ jobs: number; failed: number; seconds: number; jobsPerSecond: number }> {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true })
  const inputs = Array.from({ length: count }, (_, n) => ({ n }))
  const started = performance.now()
  const created = await request(
    agent,
    base,
    'POST',
    '/api/jobs/batch',
    JSON.stringify({ ...job, inputs }),
  )
  if (created.status !== 201) throw new Error(`batch failed: ${created.status} ${created.text}`)
  const { batch_id } = JSON.parse(created.text) as { batch_id: string }
  let completed: number
  for (;;) {
    const res = JSON.parse(
      (await request(agent, base, 'GET', `/api/jobs/batch/${batch_id}?wait=60`)).text,
    ) as { done: boolean; completed?: number }
    if (res.done) {
      completed = res.completed ?? 0
      break
    }
  }
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  return {
    jobs: count,
    failed: count - completed,
    seconds: round(seconds),
    jobsPerSecond: Math.round(count / seconds),
  }
}
