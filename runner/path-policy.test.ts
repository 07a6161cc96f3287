import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { globToRegExp, isLoopbackHost, pathPolicy, type PathPolicy } from './path-policy'

const SERVICES = '/var/lib/zv/standalone_services'

async function policy(allowPath: string[] | undefined, orchestratorHost = 'zv.example.org') {
  const made = await pathPolicy({ allowPath, orchestratorHost, servicesDir: SERVICES })
  if (!made.ok) throw new Error(made.message)
  return made.policy
}

describe('the default without --allow-path', () => {
  it('allows anything while the orchestrator is on this machine', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.3.2.1', 'app.localhost']) {
      const local = await policy(undefined, host)
      expect(local.allows('/tmp/test_script.sh'), host).toBe(true)
      expect(local.allows('/usr/bin/dash'), host).toBe(true)
    }
  })

  it('allows nothing, not even the services directory, while it is elsewhere', async () => {
    for (const host of ['zv.example.org', '10.0.0.2', '[2001:db8::1]', '0.0.0.0']) {
      const remote = await policy(undefined, host)
      expect(remote.patterns).toEqual([])
      expect(remote.allows('/tmp/test_script.sh'), host).toBe(false)
      expect(remote.allows(`${SERVICES}/upload/run.sh`), host).toBe(false)
      expect(remote.origin).toContain('--allow-path')
    }
  })
})

describe('--allow-path', () => {
  it('replaces the default, also on loopback', async () => {
    const only = await policy(['/opt/tools/*'], '127.0.0.1')
    expect(only.allows('/opt/tools/a')).toBe(true)
    expect(only.allows('/tmp/test_script.sh')).toBe(false)
  })

  it('takes repeated and comma-separated values, and `services` for the services directory', async () => {
    const many = await policy(['/opt/a/*, /opt/b/x', 'services'])
    expect(many.patterns).toEqual(['/opt/a/*', '/opt/b/x', `${SERVICES}/**`])
    expect(many.allows('/opt/b/x')).toBe(true)
    expect(many.allows('/opt/b/y')).toBe(false)
    expect(many.allows(`${SERVICES}/svc/repo/out/app`)).toBe(true)
  })

  it('reads a trailing slash as everything below the directory', async () => {
    const dir = await policy(['/opt/tools/'])
    expect(dir.allows('/opt/tools/a/b')).toBe(true)
    expect(dir.allows('/opt/toolsx')).toBe(false)
  })

  it('refuses relative globs, naming the value and what it wants', async () => {
    for (const value of ['bin/*', './x', '*', '~/bin/*']) {
      const made = await pathPolicy({
        allowPath: [value],
        orchestratorHost: 'zv.example.org',
        servicesDir: SERVICES,
      })
      expect(made).toMatchObject({ ok: false })
      expect(!made.ok && made.message).toContain(`--allow-path '${value}' must be an absolute`)
    }
  })

  describe('with symlinks in the pattern itself', () => {
    let dir: string
    beforeAll(async () => {
      dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'zv-policy-')))
      await symlink(dir, `${dir}-link`)
    })
    afterAll(async () => {
      await rm(`${dir}-link`, { force: true })
      await rm(dir, { recursive: true, force: true })
    })

    it('resolves the directories before the first wildcard, so real paths match', async () => {
      const linked: PathPolicy = await policy([`${dir}-link/*`])
      expect(linked.patterns).toEqual([`${dir}/*`])
      expect(linked.allows(`${dir}/tool`)).toBe(true)
    })
  })
})

describe('globs', () => {
  const cases: [string, string, boolean][] = [
    ['/opt/*', '/opt/a', true],
    ['/opt/*', '/opt/.hidden', true],
    ['/opt/*', '/opt/a/b', false],
    ['/opt/*', '/opt', false],
    ['/opt/**', '/opt/a/b/c', true],
    ['/opt/**/bin/*', '/opt/bin/x', true],
    ['/opt/**/bin/*', '/opt/a/b/bin/x', true],
    ['/opt/**/bin/*', '/opt/a/b/sbin/x', false],
    ['/opt/tool-?', '/opt/tool-1', true],
    ['/opt/tool-?', '/opt/tool-12', false],
    ['/opt/a.b', '/opt/aXb', false],
    ['/opt/(x)+', '/opt/(x)+', true],
    ['/**', '/anything/at/all', true],
  ]
  for (const [glob, file, matches] of cases)
    it(`${glob} ${matches ? 'matches' : 'does not match'} ${file}`, () => {
      expect(globToRegExp(glob).test(file)).toBe(matches)
    })
})

describe('loopback', () => {
  it('knows this machine by name and address, and nothing else', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      '127.0.0.1',
      '127.255.0.9',
      '[::1]',
      '[::ffff:7f00:1]',
    ])
      expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['example.org', 'localhost.example.org', '128.0.0.1', '[::2]', '0.0.0.0'])
      expect(isLoopbackHost(host), host).toBe(false)
  })
})
