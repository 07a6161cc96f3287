/**
 * Stopping a process group: SIGTERM to every member, then SIGKILL after a grace period to whatever
 * is left, so a process that ignores TERM, and anything it forked, cannot outlive its run. The
 * last resort of the mechanisms in process-tree.ts: a process that calls setsid() leaves it.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { liveProcesses, signalProcess } from './proc-stat'
import type { Containment, ProcessTree } from './process-tree'

const POLL_MS = 50

/** Runs held by their process group only (spawn's `detached` makes the process its leader). */
export const processGroupContainment: Containment = {
  kind: 'process-group',
  description: 'process groups (a process that calls setsid escapes them)',
  open: () => Promise.resolve(groupTree()),
}

function groupTree(): ProcessTree {
  let pgid = 0
  return {
    kind: 'process-group',
    get description() {
      return `process group ${pgid}`
    },
    wrap: (launch) => launch,
    started(pid) {
      pgid = pid
    },
    // A group's id is not reused while any member lives, so it stays safe to signal.
    exited: () => {},
    alive: () => (pgid ? isGroupAlive(pgid) : Promise.resolve(false)),
    stop: (graceMs) => (pgid ? stopGroup(pgid, graceMs) : Promise.resolve()),
    release: () => Promise.resolve(),
  }
}

/**
 * Sends SIGTERM to group `pgid`, waits up to `graceMs` for it to empty, then SIGKILLs what
 * remains. Resolves once the signals are sent; no timer outlives it.
 */
async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return
  const deadline = performance.now() + graceMs
  for (let left = graceMs; left > 0; left = deadline - performance.now()) {
    await delay(Math.min(POLL_MS, left))
    if (!(await isGroupAlive(pgid))) return
  }
  signalGroup(pgid, 'SIGKILL')
}

/** Whether any process of the group is still running; zombies do not count. */
async function isGroupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false
  const live = await liveProcesses()
  if (!live) return true // no /proc (not Linux): the group exists, so count it as alive
  return live.some((stat) => stat.pgid === pgid)
}

/** False when the group no longer exists (ESRCH); other errors count as sent. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  return signalProcess(-pgid, signal)
}
