// run_as_user: what a root runner does with it, and how every runner refuses what it cannot do.
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { prepareLaunch } from './prepare-launch'
import { planRunAsUser } from './run-as-user'
import { STUBBORN, cleanUp, isGone, pidsFrom, run, script, tempDir } from './test-helpers'

afterEach(cleanUp)

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
