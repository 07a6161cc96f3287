/**
 * Stopping a process group: SIGTERM to every member, then SIGKILL after a grace period to whatever
 * is left, so a process that ignores TERM, and anything it forked, cannot outlive its run.
 */
import { readdir, readFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'

const POLL_MS = 50

/**
 * Sends SIGTERM to group `pgid`, waits up to `graceMs` for it to empty, then SIGKILLs what
 * remains. Resolves once the signals are sent; no timer outlives it.
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return
  const deadline = performance.now() + graceMs
  for (let left = graceMs; left > 0; left = deadline - performance.now()) {
    await delay(Math.min(POLL_MS, left))
    if (!(await isGroupAlive(pgid))) return
  }
  signalGroup(pgid, 'SIGKILL')
}

/**
 * Whether any process of the group is still running. Zombies do not count: an orphan's zombie
 * lingers until init reaps it, and some container inits never do.
 */
export async function isGroupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false
  let pids: string[]
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name))
  } catch {
    return true // no /proc (not Linux): the group exists, so count it as alive
  }
  const states = await Promise.all(pids.map((pid) => readStat(pid)))
  return states.some((stat) => stat !== null && stat.pgid === pgid && stat.state !== 'Z')
}

/** False when the group no longer exists (ESRCH); other errors count as sent. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** State and process group from /proc/<pid>/stat; the command name may hold spaces and ')'. */
async function readStat(pid: string): Promise<{ state: string; pgid: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    const [state, , pgid] = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: state!, pgid: Number(pgid) }
  } catch {
    return null
  }
}
