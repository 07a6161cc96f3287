import { describe, expect, it } from 'vitest'
import { Config, defaultConfig } from './config'
import { HostConfig } from './host-config'
import { DEFAULT_LIMITS } from './limits/limit-settings'

describe('Config', () => {
  it('holds every default npm start uses', () => {
    const config = Config.parse({})
    expect(config).toMatchObject({
      nodeId: 'node-default',
      maxBodyBytes: 1024 * 1024,
      maxUploadBytes: 2 * 1024 ** 3,
      heartbeatIntervalMs: 15_000,
      idPrefix: '',
      auth: { enabled: false },
      corsOrigins: [],
      limits: DEFAULT_LIMITS,
    })
    expect(config.runnerToken).toBeUndefined()
    expect(config.limits).toMatchObject({ rateLimit: 100, maxKvKeys: 1_000_000 })
  })

  it('takes overrides, a limit at a time, and keeps the rest at their defaults', () => {
    const secret = new Uint8Array(32)
    const config = defaultConfig({
      maxBodyBytes: 2048,
      limits: { maxKvKeys: 2 },
      auth: { enabled: true, adminToken: 'admin', secret },
    })
    expect(config.maxBodyBytes).toBe(2048)
    expect(config.limits).toEqual({ ...DEFAULT_LIMITS, maxKvKeys: 2 })
    expect(config.auth.secret).toBe(secret)
    expect(config.heartbeatIntervalMs).toBe(15_000)
  })

  it('refuses a value of the wrong kind', () => {
    expect(() => defaultConfig({ maxBodyBytes: -1 })).toThrow()
  })
})

describe('HostConfig', () => {
  it("holds the hosts' defaults around the orchestrator's", () => {
    expect(HostConfig.parse({})).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      dataDir: './data',
      requestTimeoutSeconds: 1800,
      logLevel: 'info',
      rooms: 4,
      orchestrator: Config.parse({}),
    })
  })
})
