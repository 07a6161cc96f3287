// runProcess end to end: output files, arguments, stdin, environment, exit, timeout and cancel.
import { chmod, realpath, stat, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
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

  it('reads stdin from a file when given one, however large', async () => {
    const file = path.join(await tempDir(), 'stdin')
    await writeFile(file, 'x'.repeat(1024 * 1024) + '\nend\n')
    const { outcome, output } = await run(await script('wc -c; echo "<eof>"'), { stdinFile: file })
    expect(outcome.status).toBe('exited')
    expect(await output('stdout')).toBe(`${1024 * 1024 + 5}\n<eof>\n`)
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
