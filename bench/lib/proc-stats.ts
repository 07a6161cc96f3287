/**
 * Another process's resident memory and CPU time, read from /proc (Linux only), so that figures
 * about the orchestrator need no hook inside it.
 */
import { readFileSync } from 'node:fs'
import { statCpu } from './proc-read'

/** VmRSS of `pid`, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`)
  return Number(kb) * 1024
}

/** User and system CPU time `pid` has used so far, in seconds (all its threads). */
function cpuTimes(pid: number): { user: number; system: number } {
  return statCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid)
  return user + system
}

/** The share of one core `pid` used over `ms` of waiting, in percent: all, user and system. */
export async function cpuPercentOver(
  pid: number,
  ms: number,
): Promise<{ percent: number; user: number; system: number }> {
  const before = cpuTimes(pid)
  const started = performance.now()
  await new Promise((r) => setTimeout(r, ms))
  const elapsed = (performance.now() - started) / 1000
  const after = cpuTimes(pid)
  const share = (seconds: number) => Math.round((seconds / elapsed) * 10_000) / 100
  return {
    percent: share(after.user - before.user + after.system - before.system),
    user: share(after.user - before.user),
    system: share(after.system - before.system),
  }
}
