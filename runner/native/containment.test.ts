// How a native run is held (cgroup, PID namespace, process group), against every mechanism here.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { detectContainment } from './containment'
import { pidNamespaceContainment } from './pid-namespace'
import type { Containment } from './process-tree'
import type { ProcessSpec } from './run-process'
import { processGroupContainment } from './stop-group'
import {
  DAEMONIZING,
  LEAVES_A_CHILD,
  STUBBORN,
  cleanUp,
  isGone,
  pidsFrom,
  run,
  script,
  tempDir,
} from './test-helpers'

afterEach(cleanUp)

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
