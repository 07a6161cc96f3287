/**
 * Issue 4's figures, in one run: invocation of a trivial JavaScript and Lua function against bare
 * Hono answering the same body, and the key-value API's get and put latency. Issue 16's: the CPU
 * each request costs, per thread (read from /proc), so the next reader sees where the cost is.
 */
import os from 'node:os'
import { measureWithCpu, type CpuPerRequest } from '../lib/cpu-per-request'
import { measureRate } from '../lib/http-load'
import { startBaseline, startZerverless } from '../lib/processes'
import { sequentialLatency } from '../lib/request-latency'
import { round } from '../lib/stats'
import type { Suite } from './suite'

const HANDLERS = {
  js: 'function handle(req) { return {status: 200, body: "Hello, World!"} }',
  lua: 'function handle(req) return {status=200, body="Hello, World!"} end',
}

export const functions: Suite = {
  name: 'functions',
  async run(log) {
    const seconds = Number(process.env.BENCH_SECONDS ?? 5)
    const baseline = await startBaseline()
    let bare
    let bareLatency
    try {
      log('bare Hono answering "Hello, World!" (baseline)')
      await measureRate(`${baseline.url}/hello`, 1) // warm up: V8 compiles the hot path
      bare = await measureWithCpu(`${baseline.url}/hello`, seconds, baseline.pid)
      bareLatency = await sequentialLatency(`${baseline.url}/hello`, 2000)
    } finally {
      await baseline.stop()
    }

    const server = await startZerverless()
    try {
      await new Promise((r) => setTimeout(r, 1000)) // internal workers connect
      const invocation: Record<string, unknown> = {}
      for (const [runtime, code] of Object.entries(HANDLERS)) {
        await fetch(`${server.url}/api/deploy/bench/${runtime}`, {
          method: 'POST',
          body: JSON.stringify({ runtime, code }),
        })
        log(`${runtime} function: throughput (50 connections) and latency (one at a time)`)
        await measureRate(`${server.url}/bench/${runtime}`, 1) // warm up
        const rate = await measureWithCpu(`${server.url}/bench/${runtime}`, seconds, server.pid)
        const latency = await sequentialLatency(`${server.url}/bench/${runtime}`, 1000)
        invocation[runtime] = {
          requestsPerSecond: rate.requestsPerSecond,
          ratioToBare: round(rate.requestsPerSecond / bare.requestsPerSecond, 3),
          latency,
          p50OverheadMs: round(latency.p50Ms - bareLatency.p50Ms, 3),
          errors: rate.errors + rate.non2xx,
          cpu: rate.cpu,
        }
      }
      log('key-value get and put')
      await fetch(`${server.url}/api/db/bench/key`, {
        method: 'PUT',
        body: JSON.stringify({ value: { n: 1 } }),
      })
      const kv = {
        get: await sequentialLatency(`${server.url}/api/db/bench/key`, 2000),
        put: await sequentialLatency(`${server.url}/api/db/bench/key`, 2000, {
          method: 'PUT',
          body: JSON.stringify({ value: { n: 2 } }),
        }),
        getRate: (await measureRate(`${server.url}/api/db/bench/key`, seconds)).requestsPerSecond,
      }
      return {
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        bareHono: { ...bare, latency: bareLatency },
        invocation,
        kv,
      }
    } finally {
      await server.stop()
    }
  },
  table(result) {
    const r = result as {
      bareHono: {
        requestsPerSecond: number
        latency: { p50Ms: number; p99Ms: number }
        cpu: CpuPerRequest
      }
      invocation: Record<
        string,
        {
          requestsPerSecond: number
          ratioToBare: number
          latency: { p50Ms: number; p99Ms: number }
          p50OverheadMs: number
          cpu: CpuPerRequest
        }
      >
      kv: {
        get: { p50Ms: number; p99Ms: number }
        put: { p50Ms: number; p99Ms: number }
        getRate: number
      }
    }
    const rows = [
      '| measure | req/s (50 connections) | vs bare | latency one at a time (p50 / p99) | p50 overhead |',
      '|---|---|---|---|---|',
      `| bare Hono "Hello, World!" (baseline) | ${r.bareHono.requestsPerSecond} | 1.00 | ${r.bareHono.latency.p50Ms} / ${r.bareHono.latency.p99Ms} ms | |`,
    ]
    for (const [name, x] of Object.entries(r.invocation)) {
      rows.push(
        `| ${name} function "Hello, World!" | ${x.requestsPerSecond} | ${x.ratioToBare} | ${x.latency.p50Ms} / ${x.latency.p99Ms} ms | ${x.p50OverheadMs} ms |`,
      )
    }
    rows.push(
      `| KV GET /api/db/{ns}/{key} | ${r.kv.getRate} | | ${r.kv.get.p50Ms} / ${r.kv.get.p99Ms} ms | |`,
    )
    rows.push(`| KV PUT /api/db/{ns}/{key} | | | ${r.kv.put.p50Ms} / ${r.kv.put.p99Ms} ms | |`)
    const cpuRow = (name: string, rate: number, c: CpuPerRequest) =>
      `| ${name} | ${rate} | ${c.totalUs} | ${c.mainUs} | ${c.otherUs} | ${c.hostMainUs ?? '–'} | ${c.hostOtherUs ?? '–'} |`
    rows.push(
      '',
      'CPU µs per request, per thread (from /proc, around the 50-connection run):',
      '',
      '| request | req/s | CPU µs/req | main thread | its other threads | worker host main thread | sandbox (and other) threads of the worker host |',
      '|---|---|---|---|---|---|---|',
      cpuRow('bare Hono `/hello`', r.bareHono.requestsPerSecond, r.bareHono.cpu),
    )
    for (const [name, x] of Object.entries(r.invocation))
      rows.push(cpuRow(`${name} function \`handle(req)\``, x.requestsPerSecond, x.cpu))
    return rows.join('\n')
  },
}
