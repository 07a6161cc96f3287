/**
 * CPU time per thread of other processes, read from /proc/<pid>/task/*\/stat (Linux only), so a
 * figure says where a request's cost is (the orchestrator's main thread, the worker host's, the
 * sandbox threads) without a hook inside them. CPU time is robust to a busy machine; req/s is not.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

/** CPU seconds by thread id of `pid`'s threads alive now; threads gone meanwhile are lost. */
function threadSeconds(pid: number): Map<number, number> {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  const seconds = new Map<number, number>()
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return seconds
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      // The command name may hold spaces and parentheses: count fields after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      seconds.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / ticksPerSecond)
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return seconds
}

/** The first child process of `pid` (the worker host of an orchestrator), if it has one. */
export function childPid(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
    const first = children.split(/\s+/)[0]
    return first ? Number(first) : undefined
  } catch {
    return undefined
  }
}

/** CPU seconds a process spent over a stretch: its main thread, and all its other threads. */
export interface ProcessCpu {
  main: number
  others: number
}

/** Starts counting for `pids`; `stop()` gives each one's CPU seconds since, main and others. */
export function countThreadCpu(pids: number[]): { stop(): ProcessCpu[] } {
  const before = pids.map(threadSeconds)
  return {
    stop: () =>
      pids.map((pid, i) => {
        const after = threadSeconds(pid)
        const start = before[i] as Map<number, number>
        const used = { main: 0, others: 0 }
        for (const [tid, seconds] of after) {
          const spent = seconds - (start.get(tid) ?? 0)
          if (tid === pid) used.main += spent
          else used.others += spent
        }
        return used
      }),
  }
}
