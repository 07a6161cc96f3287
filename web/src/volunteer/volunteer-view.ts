/**
 * What the page shows, folded from the agent's events: connection, jobs running now, jobs done,
 * CPU time given, jobs per minute for the last half hour, cores busy over the last ten minutes
 * (cpu-series.ts), and the last errors. Pure, so it is
 * tested without a browser.
 */
import type { AgentEvent } from '../../../shared/agent/volunteer-agent'
import { initialCpu, sampleCpu, type CpuSeries } from './cpu-series'

type Connection = 'starting' | 'connecting' | 'connected' | 'paused' | 'hidden' | 'stopped'

export interface RunningJob {
  id: string
  type: string
  since: number
  /** What its guest last reported with `progress(fraction, message)`. */
  progress?: { fraction: number; message?: string | undefined }
}

export interface RecentError {
  at: number
  jobId: string
  message: string
}

export interface VolunteerView {
  connection: Connection
  volunteerId: string | undefined
  /** When the next reconnect attempt is due, while disconnected. */
  retryAt: number | undefined
  running: RunningJob[]
  completed: number
  failed: number
  cpuMs: number
  /** Jobs finished in each of the last MINUTES minutes, oldest first. */
  perMinute: number[]
  /** The minute (ms since epoch / 60 000) that `perMinute`'s last bucket counts. */
  minute: number
  errors: RecentError[]
  /** Threads' busy time of jobs that ended (ms), for the CPU plot. */
  busyMs: number
  cpu: CpuSeries
}

export const MINUTES = 30
const MAX_ERRORS = 5

export function initialView(now: number): VolunteerView {
  return {
    connection: 'starting',
    volunteerId: undefined,
    retryAt: undefined,
    running: [],
    completed: 0,
    failed: 0,
    cpuMs: 0,
    perMinute: new Array<number>(MINUTES).fill(0),
    minute: Math.floor(now / 60_000),
    errors: [],
    busyMs: 0,
    cpu: initialCpu(now),
  }
}

/** Busy time so far (ms): the jobs that ended, and the running ones up to `now`. */
function busyNow(view: VolunteerView, now: number): number {
  return view.running.reduce((sum, job) => sum + Math.max(0, now - job.since), view.busyMs)
}

/** Takes the CPU plot's next point. */
export function sample(view: VolunteerView, now: number): VolunteerView {
  return { ...view, cpu: sampleCpu(view.cpu, busyNow(view, now), now) }
}

/** Busy time of the running job `id` (or all of them), as they stop counting at `now`. */
function ended(view: VolunteerView, now: number, id?: string): number {
  return view.running
    .filter((job) => id === undefined || job.id === id)
    .reduce((sum, job) => sum + Math.max(0, now - job.since), 0)
}

/** Moves the chart's window to `now`, dropping minutes that fell off its left edge. */
export function advance(view: VolunteerView, now: number): VolunteerView {
  const minute = Math.floor(now / 60_000)
  const shift = minute - view.minute
  if (shift <= 0) return view
  const kept = shift >= MINUTES ? [] : view.perMinute.slice(shift)
  return {
    ...view,
    minute,
    perMinute: [...kept, ...new Array<number>(MINUTES - kept.length).fill(0)],
  }
}

export function reduce(view: VolunteerView, event: AgentEvent, now: number): VolunteerView {
  const current = advance(view, now)
  switch (event.type) {
    case 'state':
      if (event.state === 'connected')
        return { ...current, connection: 'connected', retryAt: undefined }
      if (event.state === 'connecting') return { ...current, connection: 'connecting' }
      return current
    case 'welcome':
      return { ...current, volunteerId: event.volunteerId }
    case 'disconnected':
      return {
        ...current,
        running: [],
        busyMs: current.busyMs + ended(current, now),
        retryAt: event.retryInMs === undefined ? undefined : now + event.retryInMs,
      }
    case 'job-started':
      return {
        ...current,
        running: [
          ...current.running.filter((job) => job.id !== event.jobId),
          { id: event.jobId, type: event.jobType, since: now },
        ],
      }
    case 'job-progress': {
      const progress = { fraction: event.fraction, message: event.message }
      return {
        ...current,
        running: current.running.map((job) =>
          job.id === event.jobId ? { ...job, progress } : job,
        ),
      }
    }
    case 'job-finished': {
      const perMinute = [...current.perMinute]
      perMinute[MINUTES - 1] = (perMinute[MINUTES - 1] ?? 0) + 1
      return {
        ...current,
        running: current.running.filter((job) => job.id !== event.jobId),
        busyMs: current.busyMs + ended(current, now, event.jobId),
        completed: current.completed + (event.ok ? 1 : 0),
        failed: current.failed + (event.ok ? 0 : 1),
        cpuMs: current.cpuMs + event.durationMs,
        perMinute,
        errors: event.ok
          ? current.errors
          : [
              { at: now, jobId: event.jobId, message: event.error ?? 'failed' },
              ...current.errors,
            ].slice(0, MAX_ERRORS),
      }
    }
    case 'protocol-error':
      return {
        ...current,
        errors: [
          { at: now, jobId: '', message: `${event.code}: ${event.message}` },
          ...current.errors,
        ].slice(0, MAX_ERRORS),
      }
  }
}
