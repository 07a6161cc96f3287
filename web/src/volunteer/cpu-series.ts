/**
 * The CPU this tab gave over time, for the page's plot: how many cores its jobs kept busy, on
 * average, between two samples. Busy time is counted from when a thread took a job to when it
 * ended (a prefetched job waiting for a thread costs nothing), so the plot never shows more cores
 * than the threads given. Pure, so it is tested without a browser or a clock.
 */

/** How often the page samples; the plot's resolution. */
export const CPU_SAMPLE_MS = 5_000
/** Samples kept: ten minutes at CPU_SAMPLE_MS. */
export const CPU_SAMPLES = 120

export interface CpuSeries {
  /** Sample times, seconds since the epoch (uPlot's time scale), oldest first. */
  at: number[]
  /** Cores busy on average over the interval ending at the matching `at`. */
  cores: number[]
  /** The busy time counted at the last sample (ms), and when that was. */
  lastBusyMs: number
  lastAt: number
}

export function initialCpu(now: number): CpuSeries {
  return { at: [], cores: [], lastBusyMs: 0, lastAt: now }
}

/**
 * Adds one point: the busy time that grew since the last sample, over the time that passed.
 * `busyMs` is all busy time so far, finished jobs' and the running ones' up to `now`.
 */
export function sampleCpu(series: CpuSeries, busyMs: number, now: number): CpuSeries {
  const span = now - series.lastAt
  if (span <= 0) return series
  const cores = Math.max(0, busyMs - series.lastBusyMs) / span
  return {
    at: [...series.at, now / 1000].slice(-CPU_SAMPLES),
    cores: [...series.cores, Math.round(cores * 100) / 100].slice(-CPU_SAMPLES),
    lastBusyMs: busyMs,
    lastAt: now,
  }
}
