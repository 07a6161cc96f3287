/**
 * CPU time of this process's descendants, grouped by what they are (read from /proc, Linux
 * only), so a benchmark can say which process a request's CPU went to without a hook inside any.
 */
import { descendants, readProc, statCpu } from './proc-read'

/** Seconds of CPU (user + system) per group, as `classify` names them. */
export type CpuByGroup = Record<string, number>

function cpuOf(pid: number): number {
  const stat = readProc(`/proc/${pid}/stat`)
  if (!stat) return 0
  const { user, system } = statCpu(stat)
  return user + system
}

/**
 * The CPU seconds used so far by this process (`self`) and by each group of its descendants; a
 * process `classify` names nothing for is left out.
 */
export function cpuByGroup(classify: (commandLine: string) => string | undefined): CpuByGroup {
  const usage = process.cpuUsage()
  const groups: CpuByGroup = { self: (usage.user + usage.system) / 1e6 }
  for (const pid of descendants(process.pid)) {
    const commandLine = (readProc(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ')
    const group = classify(commandLine)
    if (group) groups[group] = (groups[group] ?? 0) + cpuOf(pid)
  }
  return groups
}

/** What each group used between two readings, in µs per `count` (requests, jobs). */
export function microsPer(before: CpuByGroup, after: CpuByGroup, count: number): CpuByGroup {
  const per: CpuByGroup = {}
  for (const [group, seconds] of Object.entries(after))
    per[group] = Math.round(((seconds - (before[group] ?? 0)) * 1e6) / Math.max(1, count))
  return per
}
