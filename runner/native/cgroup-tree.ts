/**
 * Runs held by a cgroup v2 each. The spawned process moves itself into its run's cgroup before it
 * execs the executable (or setpriv), so everything it ever forks is inside, whatever sessions or
 * groups it makes, and `cgroup.kill` SIGKILLs the whole cgroup at once, forks in flight included.
 * Needs a cgroup2 hierarchy this runner may write (root, or a delegated subtree) and Linux 5.14+.
 * A process that stays unprivileged cannot leave: moving needs write access above its cgroup.
 */
import { execFile } from 'node:child_process'
import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { signalProcess } from './proc-stat'
import type { Containment, ProcessTree } from './process-tree'

/** Where a runner's run cgroups live, below the runner's own cgroup. */
const PARENT = 'zerverless-runner'
const SH = '/bin/sh'
const POLL_MS = 50
/** How long cgroup.kill may take to empty a cgroup, and rmdir to succeed after it. */
const SETTLE_MS = 2000

/**
 * The trampoline: enter the cgroup named by $1, then exec the command that follows, with nothing
 * interpolated. dash adds PWD to the environment; it is unset again unless the launch had one.
 * Exit 125 means the cgroup could not be entered, and nothing ran.
 */
const enter = (keepPwd: boolean) =>
  `echo $$ > "$1/cgroup.procs" || exit 125; shift; ${keepPwd ? '' : 'unset PWD; '}exec "$@"`

let runs = 0

export type Probe = { ok: true; containment: Containment } | { ok: false; reason: string }

/**
 * Finds this process's cgroup in the cgroup2 hierarchy, makes `zerverless-runner/` below it,
 * clears what earlier runs left there, and checks a process can really enter a run's cgroup.
 * Runs are named `<owner>-<pid>-<n>`; `owner` is a runner's `peer-<id>`, else `run`.
 */
export async function cgroupContainment(options: { owner?: string } = {}): Promise<Probe> {
  const own = await ownCgroupDir()
  if (!own.ok) return own
  const parent = path.join(own.dir, PARENT)
  try {
    await mkdir(parent)
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    if (err.code !== 'EEXIST') return { ok: false, reason: `cannot create ${parent}: ${err.code}` }
  }
  if (!(await exists(path.join(parent, 'cgroup.kill'))))
    return { ok: false, reason: `${parent} has no cgroup.kill (it needs Linux 5.14 or later)` }
  const prefix = options.owner?.replace(/[^A-Za-z0-9-]/g, '_') ?? 'run'
  await sweep(parent, prefix, options.owner !== undefined)
  const containment: Containment = {
    kind: 'cgroup',
    description: `a cgroup v2 per run, in ${parent}`,
    open: async () => {
      const dir = path.join(parent, `${prefix}-${process.pid}-${++runs}`)
      await mkdir(dir)
      return cgroupTree(dir)
    },
  }
  const entered = await probe(containment)
  return entered === true ? { ok: true, containment } : { ok: false, reason: entered }
}

function cgroupTree(dir: string): ProcessTree {
  return {
    kind: 'cgroup',
    description: `cgroup ${dir}`,
    wrap: (launch) => ({
      ...launch,
      command: SH,
      args: [
        '-c',
        enter('PWD' in launch.env),
        'zerverless-cgroup',
        dir,
        launch.command,
        ...launch.args,
      ],
    }),
    started: () => {},
    exited: () => {},
    alive: () => populated(dir),
    async stop(graceMs) {
      for (const pid of await members(dir)) signalProcess(pid, 'SIGTERM')
      const deadline = performance.now() + graceMs
      for (let left = graceMs; left > 0; left = deadline - performance.now()) {
        await delay(Math.min(POLL_MS, left))
        if (!(await populated(dir))) return
      }
      await writeFile(path.join(dir, 'cgroup.kill'), '1').catch(() => {})
      await settle(() => populated(dir))
    },
    async release() {
      // The last member can still be on its way out for a moment after the kill: EBUSY.
      await settle(async () => {
        try {
          await rmdir(dir)
          return false
        } catch (error) {
          return (error as NodeJS.ErrnoException).code === 'EBUSY'
        }
      })
    },
  }
}

/** The directory of this process's own cgroup, from /proc/self/cgroup and the cgroup2 mount. */
async function ownCgroupDir(): Promise<{ ok: true; dir: string } | { ok: false; reason: string }> {
  let cgroup: string
  let mounts: string
  try {
    cgroup = await readFile('/proc/self/cgroup', 'utf8')
    mounts = await readFile('/proc/self/mountinfo', 'utf8')
  } catch {
    return { ok: false, reason: 'there is no /proc/self/cgroup (not Linux)' }
  }
  const own = cgroup
    .split('\n')
    .find((line) => line.startsWith('0::'))
    ?.slice(3)
  if (own === undefined) return { ok: false, reason: 'this process is in no cgroup v2 hierarchy' }
  for (const line of mounts.split('\n')) {
    const [mount, fs] = line.split(' - ')
    if (!fs?.startsWith('cgroup2 ')) continue
    const fields = mount!.split(' ')
    const root = unescapeMount(fields[3]!)
    const at = unescapeMount(fields[4]!)
    if (root === '/') return { ok: true, dir: path.join(at, own) }
    if (own === root || own.startsWith(`${root}/`))
      return { ok: true, dir: path.join(at, own.slice(root.length)) }
  }
  return { ok: false, reason: 'no cgroup2 file system holding this process is mounted' }
}

/** Runs /bin/true through a fresh run's cgroup: true when it entered, else why not. */
async function probe(containment: Containment): Promise<true | string> {
  let tree: ProcessTree
  try {
    tree = await containment.open()
  } catch (error) {
    return `cannot create a run's cgroup: ${(error as NodeJS.ErrnoException).code}`
  }
  const launch = tree.wrap({ command: '/bin/true', args: [], cwd: '/', env: {} })
  const entered = await new Promise<true | string>((resolve) => {
    execFile(launch.command, launch.args, { cwd: '/', env: {} }, (error, _out, stderr) =>
      resolve(error ? `a process could not enter its cgroup: ${stderr.trim()}` : true),
    )
  })
  await tree.release()
  return entered
}

/**
 * Clears run cgroups that earlier processes left behind. An owner's runs made by another process
 * are this runner's own from before a crash or a second Ctrl-C (or from a second runner on the
 * same data directory): what still runs there is killed. Unowned runs are only removed when
 * empty and their PID is gone here: a PID cannot tell a dead process from one in another PID
 * namespace, whose runs are not ours to kill.
 */
async function sweep(parent: string, prefix: string, owned: boolean): Promise<void> {
  const names = await readdir(parent).catch(() => [])
  const pattern = new RegExp(`^${prefix}-(\\d+)-\\d+$`)
  for (const name of names) {
    const pid = pattern.exec(name)?.[1]
    if (!pid || Number(pid) === process.pid) continue
    const dir = path.join(parent, name)
    if (owned) {
      await writeFile(path.join(dir, 'cgroup.kill'), '1').catch(() => {})
      await settle(() => populated(dir))
    } else if (signalProcess(Number(pid), 0) || (await populated(dir))) continue
    await rmdir(dir).catch(() => {})
  }
}

/** Whether any process is in the cgroup or below it; false once it is gone. */
async function populated(dir: string): Promise<boolean> {
  const events = await readFile(path.join(dir, 'cgroup.events'), 'utf8').catch(() => '')
  return /^populated 1$/m.test(events)
}

async function members(dir: string): Promise<number[]> {
  const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')
  return procs.split('\n').filter(Boolean).map(Number)
}

/** Polls `busy` until it says false, for at most SETTLE_MS. */
async function settle(busy: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < SETTLE_MS && (await busy()); waited += POLL_MS) await delay(POLL_MS)
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  )
}
