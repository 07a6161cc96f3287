/** Reading processes from /proc (Linux): who runs, in which state, group and parent. */
import { readdir, readFile } from 'node:fs/promises'

export interface ProcStat {
  pid: number
  /** R, S, D, Z (zombie), T, … */
  state: string
  ppid: number
  pgid: number
}

/** Every PID in /proc; null where there is no /proc (not Linux). */
async function listPids(): Promise<number[] | null> {
  try {
    return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number)
  } catch {
    return null
  }
}

/** /proc/<pid>/stat, or null once the process is gone; the command name may hold spaces and ')'. */
async function readStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    const [state, ppid, pgid] = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { pid, state: state!, ppid: Number(ppid), pgid: Number(pgid) }
  } catch {
    return null
  }
}

/** Every process but zombies (an orphan's zombie lingers until init reaps it; some never do). */
export async function liveProcesses(): Promise<ProcStat[] | null> {
  const pids = await listPids()
  if (!pids) return null
  const stats = await Promise.all(pids.map(readStat))
  return stats.filter((stat): stat is ProcStat => stat !== null && stat.state !== 'Z')
}

/** Sends `signal`; false when there is no such process (ESRCH), true for anything else. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}
