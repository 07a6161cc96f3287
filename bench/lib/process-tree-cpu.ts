/**
 * CPU time of this process's descendants, grouped by what they are (read from /proc, Linux
 * only), so a benchmark can say which process a request's CPU went to without a hook inside any.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Seconds of CPU (user + system) per group, as `classify` names them. */
export type CpuByGroup = Record<string, number>

let ticksPerSecond: number | undefined

function ticksToSeconds(ticks: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  return ticks / ticksPerSecond
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined // the process ended in between
  }
}

/** Every descendant of `root`, found through each thread's `children` list. */
function descendants(root: number): number[] {
  const found: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.pop() as number
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${pid}/task`)
    } catch {
      continue
    }
    for (const task of tasks) {
      const children = read(`/proc/${pid}/task/${task}/children`) ?? ''
      for (const child of children.split(' ').filter(Boolean)) {
        found.push(Number(child))
        queue.push(Number(child))
      }
    }
  }
  return found
}

function cpuOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`)
  if (!stat) return 0
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ticksToSeconds(Number(fields[11]) + Number(fields[12]))
}

/**
 * The CPU seconds used so far by this process (`self`) and by each group of its descendants; a
 * process `classify` names nothing for is left out.
 */
export function cpuByGroup(classify: (commandLine: string) => string | undefined): CpuByGroup {
  const usage = process.cpuUsage()
  const groups: CpuByGroup = { self: (usage.user + usage.system) / 1e6 }
  for (const pid of descendants(process.pid)) {
    const commandLine = (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ')
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
