/**
 * Issue 2's figures, all from one run on this machine: bare Hono GET req/s (the baseline),
 * `/health` req/s, and trivial js and lua jobs end to end with the default internal workers.
 */
import os from 'node:os'
import type { CpuPerRequest } from '../lib/cpu-per-request'
import { measureRate } from '../lib/http-load'
import { runBatch, runJobLoad } from '../lib/job-load'
import { startBaseline, startZerverless } from '../lib/processes'
import { round } from '../lib/stats'
import type { Suite } from './suite'

export const core: Suite = {
  name: 'core',
  async run(log) {
    const seconds = Number(process.env.BENCH_SECONDS ?? 5)
    const baseline = await startBaseline()
    let bare
    try {
      log('bare Hono GET (baseline)')
      bare = await measureRate(baseline.url, seconds)
    } finally {
      await baseline.stop()
    }

    const server = await startZerverless()
    try {
      await new Promise((r) => setTimeout(r, 1000)) // internal workers connect
      log('/health')
      const health = await measureRate(`${server.url}/health`, seconds)
      const trivial = {
        js: { job_type: 'js', code: '1 + 1' },
        lua: { job_type: 'lua', code: 'return 1 + 1' },
      }
      const results: Record<string, unknown> = {}
      for (const [name, job] of Object.entries(trivial)) {
        log(`${name}: light load (1 client)`)
        const light = await runJobLoad(server.url, job, { concurrency: 1, seconds })
        log(`${name}: saturated (64 clients)`)
        const heavy = await runJobLoad(server.url, job, {
          concurrency: 64,
          seconds,
          cpuOf: server.pid,
        })
        log(`${name}: one batch of 10,000`)
        const batch = await runBatch(server.url, job, 10_000)
        results[name] = { light, heavy, batch }
      }
      return {
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        workers: os.availableParallelism(),
        bareHono: bare,
        health: {
          ...health,
          ratioToBare: round(health.requestsPerSecond / bare.requestsPerSecond),
        },
        jobs: results,
      }
    } finally {
      await server.stop()
    }
  },
  table(result) {
    const r = result as {
      bareHono: { requestsPerSecond: number }
      health: { requestsPerSecond: number; ratioToBare: number }
      jobs: Record<
        string,
        {
          light: { latencyP50Ms: number; latencyP99Ms: number }
          heavy: {
            jobsPerSecond: number
            latencyP50Ms: number
            latencyP99Ms: number
            cpu?: CpuPerRequest
          }
          batch: { jobsPerSecond: number }
        }
      >
    }
    const rows = [
      '| measure | value | vs baseline |',
      '|---|---|---|',
      `| bare Hono GET (baseline) | ${r.bareHono.requestsPerSecond} req/s | 1.00 |`,
      `| GET /health | ${r.health.requestsPerSecond} req/s | ${r.health.ratioToBare} |`,
    ]
    for (const [name, j] of Object.entries(r.jobs)) {
      rows.push(
        `| ${name}: jobs/s, 64 clients (POST + wait) | ${j.heavy.jobsPerSecond} (p50 ${j.heavy.latencyP50Ms} ms, p99 ${j.heavy.latencyP99Ms} ms) | ${round(j.heavy.jobsPerSecond / r.bareHono.requestsPerSecond, 3)} |`,
      )
      rows.push(
        `| ${name}: latency at light load (1 client) | p50 ${j.light.latencyP50Ms} ms, p99 ${j.light.latencyP99Ms} ms | |`,
      )
      rows.push(`| ${name}: jobs/s, one batch of 10,000 | ${j.batch.jobsPerSecond} | |`)
    }
    rows.push(
      '',
      'CPU µs per job at 64 clients, per thread (from /proc, over the measured run):',
      '',
      '| job | CPU µs/job | orchestrator main thread | its other threads | worker host main thread | sandbox (and other) threads of the worker host |',
      '|---|---|---|---|---|---|',
    )
    for (const [name, j] of Object.entries(r.jobs)) {
      const c = j.heavy.cpu
      if (c)
        rows.push(
          `| ${name} | ${c.totalUs} | ${c.mainUs} | ${c.otherUs} | ${c.hostMainUs ?? '–'} | ${c.hostOtherUs ?? '–'} |`,
        )
    }
    return rows.join('\n')
  },
}
