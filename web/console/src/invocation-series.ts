/**
 * Turns a function's invocation log (newest first, as the API lists it) into the two plots'
 * series: calls per second in equal time buckets, and each call's latency.
 */
import type { Invocation } from './api-types'

export interface InvocationSeries {
  /** Bucket starts, Unix seconds, ascending. */
  rateTimes: number[]
  /** Calls per second in each bucket, and failed calls (status 5xx or a guest error) per second. */
  rate: number[]
  errorRate: number[]
  /** How wide each bucket is, in seconds. */
  bucketSeconds: number
  /** Each call's end time (Unix seconds, ascending) and duration (ms). */
  latencyTimes: number[]
  latency: number[]
}

/** About this many buckets over the span of the log, each a whole number of seconds. */
const BUCKETS = 30

export function invocationSeries(invocations: readonly Invocation[]): InvocationSeries {
  const calls = invocations
    .map((call) => ({ t: Date.parse(call.time) / 1000, call }))
    .filter(({ t }) => Number.isFinite(t))
    .sort((a, b) => a.t - b.t)
  const empty = { rateTimes: [], rate: [], errorRate: [], latencyTimes: [], latency: [] }
  if (calls.length === 0) return { ...empty, bucketSeconds: 1 }
  const first = Math.floor(calls[0]!.t)
  const last = calls.at(-1)!.t
  const bucketSeconds = Math.max(1, Math.ceil((last - first + 1) / BUCKETS))
  const count = Math.floor((last - first) / bucketSeconds) + 1
  const totals = new Array<number>(count).fill(0)
  const errors = new Array<number>(count).fill(0)
  for (const { t, call } of calls) {
    const bucket = Math.floor((t - first) / bucketSeconds)
    totals[bucket]! += 1
    if (call.status >= 500 || call.error) errors[bucket]! += 1
  }
  return {
    rateTimes: totals.map((_, i) => first + i * bucketSeconds),
    rate: totals.map((n) => n / bucketSeconds),
    errorRate: errors.map((n) => n / bucketSeconds),
    bucketSeconds,
    latencyTimes: calls.map(({ t }) => t),
    latency: calls.map(({ call }) => call.duration_ms),
  }
}
