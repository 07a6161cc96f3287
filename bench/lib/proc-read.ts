/**
 * Reading /proc (Linux only), shared by the probes that say where CPU went without a hook inside
 * the processes measured: one parser for stat(5), one thread walk, one process-tree walk.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ, the unit of stat(5)'s times, which Linux fixes at 100 for user space. */
const TICKS_PER_SECOND = 100

/** A /proc file's text, or undefined if its process or thread ended meanwhile. */
export function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** stat(5)'s fields after the command name, which may hold spaces and parentheses. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** User and system CPU seconds in a stat(5) line (utime and stime, fields 14 and 15). */
export function statCpu(stat: string): { user: number; system: number } {
  const fields = statFields(stat)
  return {
    user: Number(fields[11]) / TICKS_PER_SECOND,
    system: Number(fields[12]) / TICKS_PER_SECOND,
  }
}

/** CPU seconds (user + system) by thread id of `pid`'s threads alive now. */
export function threadSeconds(pid: number): Map<number, number> {
  const seconds = new Map<number, number>()
  let tids: string[] = []
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return seconds
  }
  for (const tid of tids) {
    const stat = readProc(`/proc/${pid}/task/${tid}/stat`)
    if (!stat) continue
    const { user, system } = statCpu(stat)
    seconds.set(Number(tid), user + system)
  }
  return seconds
}

/** Every descendant of `root`, found through each thread's `children` list. */
export function descendants(root: number): number[] {
  const found: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.pop() as number
    let tids: string[] = []
    try {
      tids = readdirSync(`/proc/${pid}/task`)
    } catch {
      continue
    }
    for (const tid of tids) {
      const children = readProc(`/proc/${pid}/task/${tid}/children`) ?? ''
      for (const child of children.split(' ').filter(Boolean)) {
        found.push(Number(child))
        queue.push(Number(child))
      }
    }
  }
  return found
}
