/**
 * One job at a time, end to end (POST /api/jobs, then GET /api/jobs/{id}?wait=), so each latency
 * is a single job's path through the system with nothing queued ahead of it.
 */
import http from 'node:http'
import { request } from './job-load'

/** A finished job as the API shows it, with what a benchmark checks of it. */
export interface FinishedJob {
  status: string
  executed_by?: { orchestrator?: string }
}

/** Runs `count` jobs one after another; each one's latency in ms and how it ended. */
export async function runSequential(
  url: string,
  job: Record<string, unknown>,
  count: number,
): Promise<{ latencies: number[]; jobs: FinishedJob[] }> {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const body = JSON.stringify(job)
  const latencies: number[] = []
  const jobs: FinishedJob[] = []
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      const created = await request(agent, base, 'POST', '/api/jobs', body)
      if (created.status !== 201)
        throw new Error(`submit failed: ${created.status} ${created.text}`)
      let done = JSON.parse(created.text) as FinishedJob & { id: string }
      while (done.status === 'pending' || done.status === 'running')
        done = JSON.parse((await request(agent, base, 'GET', `/api/jobs/${done.id}?wait=30`)).text)
      latencies.push(performance.now() - started)
      jobs.push(done)
    }
  } finally {
    agent.destroy()
  }
  return { latencies, jobs }
}
