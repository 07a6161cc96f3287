import { describe, expect, it } from 'vitest'
import { configFromEnv } from './config-from-env'
import { HostConfig } from './host-config'

const hostFrom = (env: Record<string, string>, host: 'node' | 'workers') => {
  const read = configFromEnv(env, host)
  if (!read.ok) throw new Error(read.error.message)
  return HostConfig.parse(read.value)
}

describe('configFromEnv on Node', () => {
  it('reads PORT and the ZERVERLESS_* variables', () => {
    const host = hostFrom(
      {
        PORT: '9000',
        ZERVERLESS_DATA_DIR: '/srv/zv',
        ZERVERLESS_LOG_LEVEL: 'warn',
        ZERVERLESS_ADMIN_TOKEN: 'admin',
        ZERVERLESS_RUNNER_TOKEN: 'runner',
        ZERVERLESS_VOLUNTEER_TOKEN: 'volunteer',
        ZERVERLESS_CORS_ORIGINS: 'https://a.example, https://b.example,',
      },
      'node',
    )
    expect(host).toMatchObject({
      port: 9000,
      dataDir: '/srv/zv',
      logLevel: 'warn',
      adminToken: 'admin',
      orchestrator: {
        runnerToken: 'runner',
        volunteerToken: 'volunteer',
        corsOrigins: ['https://a.example', 'https://b.example'],
      },
    })
  })

  it("reads the seed's mesh variables, and opens no P2P port without them", () => {
    const host = hostFrom(
      {
        LIBP2P_PORT: '4001',
        BOOTSTRAP_PEERS:
          '/ip4/10.0.0.5/tcp/4001/p2p/12D3KooWA,/ip4/10.0.0.6/tcp/4001/p2p/12D3KooWB',
        ZERVERLESS_FEDERATION_ALLOW: '12D3KooWA',
        ZERVERLESS_SWARM_KEY: '/etc/zv/swarm.key',
      },
      'node',
    )
    expect(host.p2p).toEqual({
      port: 4001,
      host: '127.0.0.1',
      bootstrap: ['/ip4/10.0.0.5/tcp/4001/p2p/12D3KooWA', '/ip4/10.0.0.6/tcp/4001/p2p/12D3KooWB'],
      allow: ['12D3KooWA'],
      swarmKeyFile: '/etc/zv/swarm.key',
    })
    expect(hostFrom({}, 'node').p2p).toEqual({ host: '127.0.0.1', bootstrap: [] })
  })

  it("ignores the Workers' names, so a stray AUTH=off opens nothing", () => {
    const host = hostFrom({ AUTH: 'off', ROOMS: '8', RUNNER_TOKEN: 'x' }, 'node')
    expect(host.auth).toBeUndefined()
    expect(host.rooms).toBe(4)
    expect(host.orchestrator.runnerToken).toBeUndefined()
  })

  it('takes an empty variable as unset', () => {
    expect(hostFrom({ PORT: '', ZERVERLESS_RUNNER_TOKEN: '' }, 'node')).toMatchObject({
      port: 8000,
      orchestrator: { corsOrigins: [] },
    })
  })

  it('names the variable whose value does not read', () => {
    expect(configFromEnv({ PORT: 'abc' }, 'node')).toEqual({
      ok: false,
      error: {
        code: 'INVALID_SETTING',
        message:
          "environment variable PORT value 'abc' is invalid. must be a whole number from 0 to 65535",
      },
    })
    const level = configFromEnv({ ZERVERLESS_LOG_LEVEL: 'loud' }, 'node')
    expect(level.ok || level.error.message).toBe(
      "environment variable ZERVERLESS_LOG_LEVEL value 'loud' is invalid. must be debug, info, warn, error or silent",
    )
  })

  it('leaves alone a variable whose flag was given', () => {
    expect(configFromEnv({ PORT: 'abc', ZERVERLESS_DATA_DIR: '/a' }, 'node', { port: 1 })).toEqual({
      ok: true,
      value: { dataDir: '/a' },
    })
  })
})

describe('configFromEnv on Workers', () => {
  it("reads the bindings' vars and secrets", () => {
    const host = hostFrom(
      {
        ROOMS: '2',
        LOG_LEVEL: 'debug',
        AUTH: 'off',
        ADMIN_TOKEN: 'admin',
        TOKEN_SECRET: 'secret',
        RUNNER_TOKEN: 'runner',
        VOLUNTEER_TOKEN: 'volunteer',
        CORS_ORIGINS: '*',
      },
      'workers',
    )
    expect(host).toMatchObject({
      rooms: 2,
      logLevel: 'debug',
      auth: 'off',
      adminToken: 'admin',
      tokenSecret: 'secret',
      orchestrator: { runnerToken: 'runner', volunteerToken: 'volunteer', corsOrigins: ['*'] },
    })
  })

  it('keeps tokens required for any AUTH but off', () => {
    expect(hostFrom({ AUTH: 'of' }, 'workers').auth).toBe('on')
    expect(hostFrom({}, 'workers').auth).toBeUndefined()
  })

  it('falls back to the defaults where ROOMS or LOG_LEVEL do not read, as a Worker always has', () => {
    for (const ROOMS of ['0', '257', '1.5', 'many'])
      expect(hostFrom({ ROOMS, LOG_LEVEL: 'loud' }, 'workers')).toMatchObject({
        rooms: 4,
        logLevel: 'info',
      })
  })
})
