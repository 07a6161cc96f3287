/**
 * Runs held by a PID namespace each, through util-linux `unshare --pid --fork --kill-child`: the
 * executable is the namespace's init, and when it dies the kernel kills everything else in the
 * namespace, whatever sessions or groups it made; `--kill-child` makes init die with unshare.
 * The fallback where no cgroup can be made. As init, the executable gets a signal only if it
 * handles that signal, so a stop sends SIGTERM to every member and treats an init that neither
 * handles nor ignores SIGTERM as stopped (it would have died) once the others are gone.
 */
import { execFile } from 'node:child_process'
import { access, readFile, readlink } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { liveProcesses, signalProcess } from './proc-stat'
import type { ProcessTree } from './process-tree'
import type { Probe } from './cgroup-tree'

const UNSHARE = '/usr/bin/unshare'
const POLL_MS = 50
/** How long the kernel may take to empty a namespace once its init is killed. */
const SETTLE_MS = 2000
/** Bit of SIGTERM (15) in /proc/<pid>/status's SigCgt and SigIgn masks. */
const SIGTERM_BIT = 1n << 14n

/**
 * Checks that unshare can make a PID namespace here. A runner that is not root needs a user
 * namespace for it too (mapped to its own uid), where the kernel allows unprivileged ones.
 */
export async function pidNamespaceContainment(uid = process.getuid?.()): Promise<Probe> {
  if (
    !(await access(UNSHARE).then(
      () => true,
      () => false,
    ))
  )
    return { ok: false, reason: `there is no util-linux unshare at ${UNSHARE}` }
  const flags = [
    ...(uid === 0 ? [] : ['--user', '--map-current-user']),
    '--pid',
    '--fork',
    '--kill-child',
  ]
  const works = await new Promise<true | string>((resolve) =>
    execFile(UNSHARE, [...flags, '--', '/bin/true'], { env: {} }, (error, _out, stderr) =>
      resolve(error ? stderr.trim() || error.message : true),
    ),
  )
  if (works !== true) return { ok: false, reason: `unshare ${flags.join(' ')} failed: ${works}` }
  const command = `${UNSHARE} ${flags.join(' ')}`
  return {
    ok: true,
    containment: {
      kind: 'pid-namespace',
      description: `a PID namespace per run (${command})`,
      open: () => Promise.resolve(pidTree(flags, command)),
    },
  }
}

function pidTree(flags: string[], command: string): ProcessTree {
  let unshare = 0
  let gone = false
  return {
    kind: 'pid-namespace',
    get description() {
      return `PID namespace under ${command} (PID ${unshare})`
    },
    wrap: (launch) => ({
      ...launch,
      command: UNSHARE,
      args: [...flags, '--', launch.command, ...launch.args],
    }),
    started(pid) {
      unshare = pid
    },
    exited() {
      gone = true
    },
    // unshare exits only after init did, and init's death empties the namespace.
    alive: () => Promise.resolve(!gone && unshare !== 0),
    async stop(graceMs) {
      if (gone || !unshare) return
      const ns = await namespace(unshare)
      if (ns) for (const pid of await nsMembers(ns.link)) signalProcess(pid, 'SIGTERM')
      const deadline = performance.now() + graceMs
      for (let left = graceMs; left > 0 && ns; left = deadline - performance.now()) {
        await delay(Math.min(POLL_MS, left))
        if (gone) return
        const others = (await nsMembers(ns.link)).filter((pid) => pid !== ns.init)
        if (others.length === 0 && (await termWouldKill(ns.init))) break
      }
      if (gone) return
      // Killing unshare first keeps its report clean ("killed by SIGKILL"); --kill-child then
      // SIGKILLs init, which the kernel also delivers when sent straight from out here.
      signalProcess(unshare, 'SIGKILL')
      if (!ns) return
      signalProcess(ns.init, 'SIGKILL')
      // The kernel empties the namespace as init dies, a moment after unshare is gone.
      for (let waited = 0; waited < SETTLE_MS; waited += POLL_MS) {
        if ((await nsMembers(ns.link)).length === 0) return
        await delay(POLL_MS)
      }
    },
    release: () => Promise.resolve(),
  }
}

/** The namespace's init (unshare's child) and the namespace's identity, while unshare runs. */
async function namespace(unshare: number): Promise<{ init: number; link: string } | null> {
  const init = (await liveProcesses())?.find((stat) => stat.ppid === unshare)
  if (!init) return null
  const link = await readlink(`/proc/${init.pid}/ns/pid`).catch(() => null)
  return link ? { init: init.pid, link } : null
}

/** Live processes in the namespace `link` names (`pid:[4026532…]`). */
async function nsMembers(link: string): Promise<number[]> {
  const live = (await liveProcesses()) ?? []
  const links = await Promise.all(
    live.map((stat) => readlink(`/proc/${stat.pid}/ns/pid`).catch(() => null)),
  )
  return live.filter((_, i) => links[i] === link).map((stat) => stat.pid)
}

/** Whether SIGTERM would have ended `pid` were it not init: it neither handles nor ignores it. */
async function termWouldKill(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const mask = (name: string) =>
    BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`)
  return ((mask('SigCgt') | mask('SigIgn')) & SIGTERM_BIT) === 0n
}
