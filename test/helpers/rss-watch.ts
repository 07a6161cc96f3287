/**
 * Resident memory of a process (or of a process and all its descendants, for Chromium), sampled
 * while a memory bomb runs. Past a hard limit the watch kills what it watches, so a test of a cap
 * that does not hold fails instead of taking the shared machine down.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** VmRSS of `pid` in bytes, 0 once it is gone. */
function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The command name sits in parentheses and may hold spaces: the fields after it are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // Gone between the listing and the read.
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []))
  return tree
}

export interface RssWatch {
  /** The highest total seen since the last `reset`, in bytes. */
  peak(): number
  /** The total now, in bytes. */
  now(): number
  reset(): void
  /** True once the hard limit was passed and `kill` was called. */
  readonly tripped: boolean
  stop(): void
}

/** Samples the summed RSS of `pids()` every 50 ms; past `hardLimit` bytes calls `kill` once. */
export function watchRss(pids: () => number[], hardLimit: number, kill: () => void): RssWatch {
  const total = () => pids().reduce((sum, pid) => sum + rssOf(pid), 0)
  let peak = total()
  let tripped = false
  const timer = setInterval(() => {
    const now = total()
    peak = Math.max(peak, now)
    if (now > hardLimit && !tripped) {
      tripped = true
      kill()
    }
  }, 50)
  return {
    peak: () => Math.max(peak, total()),
    now: total,
    reset: () => {
      peak = total()
    },
    get tripped() {
      return tripped
    },
    stop: () => clearInterval(timer),
  }
}

export const MiB = 1024 * 1024
