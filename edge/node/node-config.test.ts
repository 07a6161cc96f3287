import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../core/limits/limit-settings'
import { zerverlessConfig } from './node-config'

describe('zerverlessConfig', () => {
  it('runs an orchestrator with the defaults, one internal worker per core', () => {
    const made = zerverlessConfig({}, {})
    expect(made.ok && made.value).toMatchObject({
      mode: 'orchestrator',
      workers: os.availableParallelism(),
      host: { port: 8000, host: '127.0.0.1', dataDir: './data', logLevel: 'info' },
    })
  })

  it('puts flags over the environment over the defaults', () => {
    const made = zerverlessConfig(
      { port: 9001, heartbeatInterval: 0.5, rateLimit: 5, corsOrigin: ['https://a'], workers: 0 },
      { PORT: '9000', ZERVERLESS_DATA_DIR: '/srv/zv', ZERVERLESS_CORS_ORIGINS: 'https://b' },
    )
    if (!made.ok || made.value.mode !== 'orchestrator') throw new Error('not an orchestrator')
    expect(made.value.workers).toBe(0)
    expect(made.value.host).toMatchObject({ port: 9001, dataDir: '/srv/zv' })
    expect(made.value.host.orchestrator).toMatchObject({
      heartbeatIntervalMs: 500,
      corsOrigins: ['https://a'],
      limits: { ...DEFAULT_LIMITS, rateLimit: 5 },
    })
  })

  it('refuses a variable that does not read, naming it', () => {
    const made = zerverlessConfig({}, { PORT: 'eighty' })
    expect(made.ok || made.error.message).toBe(
      "environment variable PORT value 'eighty' is invalid. must be a whole number from 0 to 65535",
    )
    // The flag replaces the variable, which then is not read at all.
    expect(zerverlessConfig({ port: 80 }, { PORT: 'eighty' }).ok).toBe(true)
  })

  it('with --worker, runs a worker with its token from the environment', () => {
    const made = zerverlessConfig(
      { worker: 'ws://host:8000/ws/volunteer', namespaces: ['alice'] },
      { ZERVERLESS_WORKER_TOKEN: 'secret', PORT: 'not read here' },
    )
    expect(made.ok && made.value).toEqual({
      mode: 'worker',
      worker: {
        url: 'ws://host:8000/ws/volunteer',
        workers: os.availableParallelism(),
        namespaces: ['alice'],
        token: 'secret',
      },
    })
  })
})
