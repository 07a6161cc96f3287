import { chmod, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { detectContainment } from './containment'
import { pidNamespaceContainment } from './pid-namespace'
import { prepareLaunch } from './prepare-launch'
import type { Containment } from './process-tree'
import { processGroupContainment } from './stop-group'
import { planRunAsUser } from './run-as-user'
import { runProcess, type ProcessSpec } from './run-process'

const temps: string[] = []
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A fresh directory under os.tmpdir(), readable by every user (mkdtemp makes it 0700). */
async function tempDir(mode = 0o755): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zv-native-'))
  await chmod(dir, mode)
  temps.push(dir)
  return dir
}

/** Writes a /bin/sh script into its own directory and makes it executable. */
async function script(body: string): Promise<string> {
  const file = path.join(await tempDir(), 'service.sh')
  await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return file
}

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

/**
 * Runs `executable` with sensible test defaults and checks it left no timer running; returns the
 * outcome and a reader for the output files.
 */
async function run(executable: string, spec: Partial<ProcessSpec> = {}) {
  const outputDir = path.join(await tempDir(), 'out')
  const timersBefore = timers()
  const outcome = await runProcess({
    executable,
    arguments: [],
    environment: {},
    timeoutMs: 10_000,
    killGraceMs: 300,
    outputDir,
    ...spec,
  })
  expect(timers()).toBeLessThanOrEqual(timersBefore)
  const output = (name: 'stdout' | 'stderr' | 'logs') =>
    readFile(path.join(outputDir, `${name}.txt`), 'utf8')
  return { outcome, output, outputDir }
}

/** True once `pid` has exited. A zombie has exited too: it only waits for an init to reap it. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
}

/**
 * A script that ignores SIGTERM, forks a child that ignores it too, and records both PIDs as the
 * host sees them (/proc/self/stat, which holds inside a PID namespace too) in $1.
 */
const STUBBORN = `trap '' TERM
(read -r me _ < /proc/self/stat; echo "$me" >> "$1"; exec sleep 1000) &
read -r me _ < /proc/self/stat; echo "$me" >> "$1"
while [ "$(wc -l < "$1")" -lt 2 ]; do sleep 0.01; done
echo started
wait`

/** A script that leaves a child running when it exits, recording the child's host PID in $1. */
const LEAVES_A_CHILD = `(read -r me _ < /proc/self/stat; echo "$me" >> "$1"; exec sleep 1000) &
while [ ! -s "$1" ]; do sleep 0.01; done`

/**
 * A service that daemonizes: it starts a child with setsid in a new session, which forks a
 * grandchild and exits (a double fork); each of them ignores SIGTERM and SIGHUP. Each appends its
 * PID as the host sees it to $1 (/proc/self/stat, which holds inside a PID namespace too).
 */
const DAEMONIZING = `trap '' TERM HUP
read -r me _ < /proc/self/stat
echo "$me" >> "$1"
setsid -f /bin/sh -c '
  trap "" TERM HUP
  read -r me _ < /proc/self/stat
  echo "$me" >> "$1"
  (trap "" TERM HUP; read -r me _ < /proc/self/stat; echo "$me" >> "$1"; exec sleep 1000) &
' daemon "$1"
while [ "$(wc -l < "$1")" -lt 3 ]; do sleep 0.05; done
echo started
sleep 1000`

/** PIDs a test saw, killed after it whatever happened, so a failing test leaves no daemon behind. */
const seen: number[] = []
afterEach(() => {
  for (const pid of seen.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

async function pidsFrom(file: string): Promise<number[]> {
  const pids = (await readFile(file, 'utf8')).trim().split(/\s+/).map(Number)
  seen.push(...pids)
  return pids
}

describe('runProcess', () => {
  it('writes stdout, stderr and a combined log, and reports exit code 0', async () => {
    const exe = await script('echo out; echo err >&2; echo more')
    const { outcome, output } = await run(exe)
    expect(outcome).toMatchObject({
      status: 'exited',
      exitCode: 0,
      signal: null,
      stdoutBytes: 9,
      stderrBytes: 4,
      truncated: false,
      message: 'Process exited with code 0',
    })
    expect(await output('stdout')).toBe('out\nmore\n')
    expect(await output('stderr')).toBe('err\n')
    const logs = await output('logs')
    expect(logs).toMatch(/^\[process tree: \S/)
    expect(logs.split('\n').slice(1, 4).sort()).toEqual(['err', 'more', 'out'])
    expect(logs).toMatch(/\n\[exit code 0 after [\d.]+ s\]\n$/)
  })

  it('reports a non-zero exit code and still writes empty output files', async () => {
    const { outcome, output, outputDir } = await run(await script('exit 3'))
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 3 })
    expect(outcome.message).toBe('Process exited with code 3')
    expect(await output('stdout')).toBe('')
    expect(await output('stderr')).toBe('')
    expect((await stat(path.join(outputDir, 'stdout.txt'))).mode & 0o777).toBe(0o644)
  })

  it('passes arguments literally without a shell and drops empty or blank ones', async () => {
    const exe = await script(`for a in "$@"; do printf '[%s]\\n' "$a"; done`)
    const args = ['a b', '', '$(id) `id` $HOME', '   ', '; rm -rf / #', '*', 'it\'s "q"', '\t']
    const { output } = await run(exe, { arguments: args })
    expect(await output('stdout')).toBe(
      ['[a b]', '[$(id) `id` $HOME]', '[; rm -rf / #]', '[*]', `[it's "q"]`, ''].join('\n'),
    )
  })

  it('delivers stdin and then closes it', async () => {
    const exe = await script('cat; echo "<eof>"')
    expect(await (await run(exe, { stdin: 'line 1\nline 2\n' })).output('stdout')).toBe(
      'line 1\nline 2\n<eof>\n',
    )
    const bytes = new TextEncoder().encode('bytes')
    expect(await (await run(exe, { stdin: bytes })).output('stdout')).toBe('bytes<eof>\n')
  })

  it('gives a process without stdin an immediate end of file', async () => {
    const { outcome, output } = await run(await script('cat; echo "<eof>"'), { timeoutMs: 5000 })
    expect(outcome.status).toBe('exited')
    expect(await output('stdout')).toBe('<eof>\n')
  })

  describe('environment', () => {
    beforeAll(() => {
      process.env.ZV_SECRET_TEST = 'runner-secret'
    })
    afterAll(() => {
      delete process.env.ZV_SECRET_TEST
    })
    const show = 'echo "svc=$SVC secret=${ZV_SECRET_TEST-unset} lang=$LANG path=$PATH"'

    it("shows the service's variables but not the runner's own", async () => {
      const { output } = await run(await script(show), { environment: { SVC: 'on' } })
      expect(await output('stdout')).toBe(
        'svc=on secret=unset lang=C.UTF-8 path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n',
      )
    })

    it("starts from the runner's environment when asked to inherit it", async () => {
      const environment = { SVC: 'on', PATH: '/bin' }
      const { output } = await run(await script(show), { environment, inheritEnvironment: true })
      expect(await output('stdout')).toMatch(/^svc=on secret=runner-secret lang=\S* path=\/bin\n$/)
    })
  })

  describe('working directory', () => {
    it("defaults to the executable's directory", async () => {
      const exe = await script('pwd')
      const { output } = await run(exe)
      expect(await output('stdout')).toBe(`${await realpath(path.dirname(exe))}\n`)
    })

    it('uses the one given', async () => {
      const dir = await tempDir()
      const { output } = await run(await script('pwd'), { workingDirectory: dir })
      expect(await output('stdout')).toBe(`${await realpath(dir)}\n`)
    })

    it('refuses a missing one without starting the process', async () => {
      const missing = path.join(os.tmpdir(), 'zv-native-missing-dir')
      const marker = path.join(await tempDir(), 'ran')
      const exe = await script(`touch ${marker}`)
      const { outcome, output } = await run(exe, { workingDirectory: missing })
      expect(outcome).toMatchObject({ status: 'failed_to_start', exitCode: null })
      expect(outcome.message).toBe(
        `invalid working directory: working directory does not exist: ${missing}`,
      )
      expect(await output('logs')).toContain(outcome.message)
      await expect(stat(marker)).rejects.toThrow()
    })
  })

  it('reports a missing executable as not found with exit code 127', async () => {
    const { outcome, output } = await run('/nonexistent/zv-service')
    expect(outcome).toMatchObject({
      status: 'not_found',
      exitCode: 127,
      message: 'executable not found: /nonexistent/zv-service',
    })
    expect(await output('stdout')).toBe('')
  })

  it('reports an executable it may not run as permission denied', async () => {
    const exe = await script('echo hi')
    await chmod(exe, 0o644)
    const { outcome } = await run(exe)
    expect(outcome).toMatchObject({
      status: 'failed_to_start',
      message: `permission denied: ${exe}`,
    })
  })

  it('on timeout kills the whole process group, even members that ignore SIGTERM', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const exe = await script(STUBBORN)
    const { outcome, output } = await run(exe, {
      arguments: [pidFile],
      timeoutMs: 300,
      killGraceMs: 300,
    })
    expect(outcome).toMatchObject({
      status: 'timeout',
      exitCode: null,
      signal: 'SIGKILL',
      message: 'Process execution timed out after 0.3 s',
    })
    expect(outcome.durationMs).toBeGreaterThanOrEqual(500) // SIGKILL came only after the grace
    const [shell, child] = await pidsFrom(pidFile)
    expect(isGone(shell!)).toBe(true)
    expect(isGone(child!)).toBe(true)
    expect(await output('stdout')).toBe('started\n')
    expect(await output('logs')).toMatch(/\[timed out after 0\.3 s\]\n$/)
  })

  it('stops processes the executable left running in its group when it exits', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const exe = await script(LEAVES_A_CHILD)
    const { outcome } = await run(exe, { arguments: [pidFile] })
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 0 })
    const [child] = await pidsFrom(pidFile)
    expect(isGone(child!)).toBe(true)
  })

  it('stops the process group when cancelled', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const controller = new AbortController()
    const cancelLater = setTimeout(() => controller.abort(), 300)
    const { outcome, output } = await run(await script(STUBBORN), {
      arguments: [pidFile],
      signal: controller.signal,
      killGraceMs: 200,
    })
    clearTimeout(cancelLater)
    expect(outcome).toMatchObject({ status: 'cancelled', message: 'Process was cancelled' })
    for (const pid of await pidsFrom(pidFile)) expect(isGone(pid)).toBe(true)
    expect(await output('logs')).toMatch(/\[cancelled after [\d.]+ s\]\n$/)
  })

  it('on timeout kills a daemon that left its group with setsid and a double fork', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const { outcome, output } = await run(await script(DAEMONIZING), {
      arguments: [pidFile],
      timeoutMs: 1000,
      killGraceMs: 200,
    })
    expect(outcome).toMatchObject({ status: 'timeout', signal: 'SIGKILL' })
    expect(await output('stdout')).toBe('started\n')
    const pids = await pidsFrom(pidFile)
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(isGone(pid), `pid ${pid} survived`).toBe(true)
  })

  it('when cancelled kills a daemon that left its group with setsid and a double fork', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const controller = new AbortController()
    const started = run(await script(DAEMONIZING), {
      arguments: [pidFile],
      signal: controller.signal,
      killGraceMs: 200,
    })
    const cancelLater = setInterval(() => {
      const lines = readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }).trim().split('\n')
      if (lines.length >= 3) controller.abort()
    }, 50)
    const { outcome } = await started
    clearInterval(cancelLater)
    expect(outcome.status).toBe('cancelled')
    const pids = await pidsFrom(pidFile)
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(isGone(pid), `pid ${pid} survived`).toBe(true)
  })

  it('does not start a process when already cancelled', async () => {
    const marker = path.join(await tempDir(), 'ran')
    const { outcome } = await run(await script(`touch ${marker}`), {
      signal: AbortSignal.abort(),
    })
    expect(outcome).toMatchObject({ status: 'cancelled', exitCode: null })
    await expect(stat(marker)).rejects.toThrow()
  })

  it('caps each output file, counts what it dropped and marks the cut', async () => {
    const exe = await script(`head -c 5000000 /dev/zero | tr '\\0' x; echo tail >&2`)
    const { outcome, output, outputDir } = await run(exe, { maxOutputBytes: 100_000 })
    expect(outcome).toMatchObject({
      status: 'exited',
      exitCode: 0,
      stdoutBytes: 5_000_000,
      stderrBytes: 5,
      truncated: true,
    })
    const marker = '\n[output truncated at 100000 bytes]\n'
    expect((await stat(path.join(outputDir, 'stdout.txt'))).size).toBe(100_000 + marker.length)
    expect((await output('stdout')).endsWith('x' + marker)).toBe(true)
    expect(await output('stderr')).toBe('tail\n')
    expect(await output('logs')).toMatch(/truncated at 100000 bytes\]\n\[exit code 0 after/)
  })
})

/** Every mechanism this machine offers, best first (as root here: all three). */
const mechanisms: Containment[] = []
for (const choice of ['cgroup', 'pid-namespace', 'process-group'] as const) {
  const found = await detectContainment(choice)
  if (found.ok) mechanisms.push(found.containment)
}
/** What a runner that is not root would use: a PID namespace inside a user namespace. */
const unprivileged = await pidNamespaceContainment(1000)
const labelled = [
  ...mechanisms.map((m) => [m.kind, m] as const),
  ...(unprivileged.ok
    ? [['pid-namespace in a user namespace', unprivileged.containment] as const]
    : []),
]
/** The ones that hold a process that calls setsid; the process group does not. */
const holding = labelled.filter(([, m]) => m.kind !== 'process-group')

describe('choosing how runs are held', () => {
  it('takes the best mechanism this machine offers: cgroup, then PID namespace, then group', async () => {
    const auto = await detectContainment('auto')
    expect(auto.ok && auto.containment.kind).toBe(mechanisms[0]!.kind)
  })

  it('says why, when a named mechanism cannot work here', async () => {
    for (const choice of ['cgroup', 'pid-namespace'] as const) {
      const found = await detectContainment(choice)
      if (!found.ok) expect(found.message).toMatch(new RegExp(`^--contain ${choice}: .+`))
      else expect(found.containment.kind).toBe(choice)
    }
  })
})

describe.each(labelled)('runs held by %s', (_, containment) => {
  const kind = containment.kind
  const held = (spec: Partial<ProcessSpec>) => ({ containment, ...spec })

  it('says so on the first line of logs.txt', async () => {
    const { outcome, output } = await run(await script('echo hi'), held({}))
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 0, containment: kind })
    const first = (await output('logs')).split('\n')[0]!
    const names = {
      cgroup: 'cgroup /',
      'pid-namespace': 'PID namespace',
      'process-group': 'process group',
    }
    expect(first).toContain(`[process tree: ${names[kind]}`)
    if (kind === 'cgroup') {
      const dir = /cgroup (\/\S+)\]/.exec(first)![1]!
      expect(existsSync(dir), "the run's cgroup is removed afterwards").toBe(false)
    }
  })

  it('gives SIGTERM first and SIGKILL to what ignores it after the grace', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const { outcome } = await run(
      await script(STUBBORN),
      held({ arguments: [pidFile], timeoutMs: 300 }),
    )
    expect(outcome).toMatchObject({ status: 'timeout', signal: 'SIGKILL' })
    for (const pid of await pidsFrom(pidFile)) expect(isGone(pid), `pid ${pid} survived`).toBe(true)
  })

  it('does not wait out the grace for a process that SIGTERM ends', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const exe = await script('read -r me _ < /proc/self/stat; echo "$me" > "$1"; exec sleep 1000')
    // A grace longer than the test may take: only a process stopped at the first signal passes.
    const { outcome } = await run(
      exe,
      held({ arguments: [pidFile], timeoutMs: 300, killGraceMs: 60_000 }),
    )
    expect(outcome.status).toBe('timeout')
    for (const pid of await pidsFrom(pidFile)) expect(isGone(pid)).toBe(true)
  })

  it('stops what the executable left running when it exits', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const { outcome } = await run(await script(LEAVES_A_CHILD), held({ arguments: [pidFile] }))
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 0 })
    for (const pid of await pidsFrom(pidFile)) expect(isGone(pid)).toBe(true)
  })

  it('passes arguments, stdin and the exit code through unchanged', async () => {
    const exe = await script(`printf '[%s]' "$@"; echo; cat; exit 4`)
    const { outcome, output } = await run(exe, held({ arguments: ['a b', '$(id)'], stdin: 'in\n' }))
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 4 })
    expect(await output('stdout')).toBe('[a b][$(id)]\nin\n')
  })

  it('passes the environment through unchanged, adding nothing', async () => {
    const env = async (spec: Partial<ProcessSpec>) => {
      const { output } = await run('/usr/bin/env', { environment: { SVC: 'on' }, ...spec })
      return (await output('stdout')).trim().split('\n').sort()
    }
    const seen = await env(held({}))
    expect(seen).toEqual(await env({ containment: processGroupContainment }))
    expect(seen).toContain('SVC=on')
    expect(seen.filter((line) => line.startsWith('PWD='))).toEqual([])
  })
})

describe.each(holding)('runs held by %s, against daemons', (label, containment) => {
  it('on timeout kills a daemon that left its group with setsid and a double fork', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const { outcome } = await run(await script(DAEMONIZING), {
      containment,
      arguments: [pidFile],
      timeoutMs: 1000,
      killGraceMs: 200,
    })
    expect(outcome).toMatchObject({ status: 'timeout', signal: 'SIGKILL' })
    const pids = await pidsFrom(pidFile)
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(isGone(pid), `pid ${pid} survived`).toBe(true)
  })

  it('when the daemon is all that is left after the executable exits, kills it too', async () => {
    const pidFile = path.join(await tempDir(), 'pids')
    const exe = await script(DAEMONIZING.replace(/\nsleep 1000$/, ''))
    const { outcome } = await run(exe, { containment, arguments: [pidFile], killGraceMs: 200 })
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 0 })
    for (const pid of await pidsFrom(pidFile)) expect(isGone(pid), `pid ${pid} survived`).toBe(true)
  })

  // Only a root runner switches users; one that is not root refuses run_as_user.
  it.runIf(process.getuid?.() === 0 && !label.includes('user namespace'))(
    'holds a daemon started as another user (run_as_user)',
    async () => {
      const pidFile = path.join(await tempDir(0o777), 'pids')
      const controller = new AbortController()
      const cancelLater = setInterval(() => {
        if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length >= 3)
          controller.abort()
      }, 50)
      const { outcome } = await run(await script(DAEMONIZING), {
        containment,
        arguments: [pidFile],
        runAsUser: 'nobody',
        signal: controller.signal,
        killGraceMs: 200,
      })
      clearInterval(cancelLater)
      expect(outcome.status).toBe('cancelled')
      const pids = await pidsFrom(pidFile)
      expect(pids).toHaveLength(3)
      for (const pid of pids) {
        expect(isGone(pid), `pid ${pid} survived`).toBe(true)
      }
    },
  )
})

describe.runIf(process.getuid?.() === 0)('runProcess as another user (runner is root)', () => {
  it("runs as the user and group with the user's groups, not root's", async () => {
    const exe = await script('id -u; id -g; id -G; echo "$HOME $USER $LOGNAME"')
    const { outcome, output } = await run(exe, { runAsUser: 'nobody:nogroup' })
    expect(outcome).toMatchObject({ status: 'exited', exitCode: 0 })
    const [uid, gid, groups, who] = (await output('stdout')).trim().split('\n')
    expect([uid, gid]).toEqual(['65534', '65534'])
    expect(groups!.split(' ')).not.toContain('0')
    expect(who).toBe('/nonexistent nobody nobody')
  })

  it("kills the user's whole process group on timeout", async () => {
    const pidFile = path.join(await tempDir(0o777), 'pids')
    const { outcome } = await run(await script(STUBBORN), {
      arguments: [pidFile],
      runAsUser: 'nobody',
      timeoutMs: 300,
      killGraceMs: 300,
    })
    expect(outcome).toMatchObject({ status: 'timeout', signal: 'SIGKILL' })
    for (const pid of await pidsFrom(pidFile)) expect(isGone(pid)).toBe(true)
  })

  it('accepts numeric ids, even without a passwd entry', async () => {
    const { output } = await run(await script('id -u; id -g; id -G'), { runAsUser: '4242:4343' })
    expect((await output('stdout')).split('\n')).toEqual(['4242', '4343', '4343', ''])
  })

  it('refuses a working directory the user cannot enter', async () => {
    const dir = await tempDir(0o700)
    const { outcome } = await run(await script('pwd'), {
      runAsUser: 'nobody',
      workingDirectory: dir,
    })
    expect(outcome.status).toBe('failed_to_start')
    expect(outcome.message).toBe(
      `working directory ${dir} is not accessible to nobody (uid 65534, gid 65534)`,
    )
  })

  it('refuses an unknown user or group', async () => {
    const exe = await script('true')
    expect((await run(exe, { runAsUser: 'zv-no-such-user' })).outcome).toMatchObject({
      status: 'failed_to_start',
      message: "unknown user in run_as_user: 'zv-no-such-user'",
    })
    expect((await run(exe, { runAsUser: 'nobody:zv-no-such-group' })).outcome.message).toBe(
      "unknown group in run_as_user: 'zv-no-such-group'",
    )
  })
})

describe('run_as_user', () => {
  it('refuses a malformed value before looking anything up', async () => {
    for (const value of ['a:b:c', 'bad user', ':group', 'user:']) {
      const { outcome } = await run(await script('true'), { runAsUser: value })
      expect(outcome).toMatchObject({
        status: 'failed_to_start',
        message: `invalid run_as_user format: expected 'user:group' or 'uid:gid', got '${value}'`,
      })
    }
  })

  it('refuses to switch user when the runner is not root, never ignoring it', async () => {
    expect(planRunAsUser('app:app', 1000)).toEqual({
      kind: 'refuse',
      message: 'run_as_user needs the runner to run as root; it runs as uid 1000',
    })
    const refused = await prepareLaunch(
      {
        executable: '/bin/true',
        arguments: [],
        environment: {},
        timeoutMs: 1000,
        runAsUser: 'app',
        outputDir: os.tmpdir(),
      },
      1000,
    )
    expect(refused).toMatchObject({ ok: false, status: 'failed_to_start' })
  })

  it('switches only for a root runner, and not at all when unset', () => {
    expect(planRunAsUser('app:staff', 0)).toEqual({ kind: 'switch', user: 'app', group: 'staff' })
    expect(planRunAsUser('1000', 0)).toEqual({ kind: 'switch', user: '1000', group: undefined })
    expect(planRunAsUser(undefined, 1000)).toEqual({ kind: 'self' })
    expect(planRunAsUser('', 1000)).toEqual({ kind: 'self' })
    expect(planRunAsUser('app', undefined)).toMatchObject({ kind: 'refuse' })
  })
})
