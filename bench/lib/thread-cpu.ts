/**
 * CPU time per thread of other processes, read from /proc/<pid>/task/*\/stat (Linux only), so a
 * figure says where a request's cost is (the orchestrator's main thread, the worker host's, the
 * sandbox threads) without a hook inside them. CPU time is robust to a busy machine; req/s is not.
 */
import { readProc, threadSeconds } from './proc-read'

/** The first child process of `pid` (the worker host of an orchestrator), if it has one. */
export function childPid(pid: number): number | undefined {
  const first = readProc(`/proc/${pid}/task/${pid}/children`)?.trim().split(/\s+/)[0]
  return first ? Number(first) : undefined
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
