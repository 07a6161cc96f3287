import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { runnerConfig } from './runner-config'
import { defaultDataDir } from './runner-paths'

describe('runnerConfig', () => {
  it('fills what is not given with the defaults, and the orchestrator from the environment', () => {
    expect(runnerConfig({}, { ZERVERLESS_ORCHESTRATOR: 'http://host:8000' })).toEqual({
      ok: true,
      value: {
        orchestrator: 'http://host:8000',
        dataDir: defaultDataDir(),
        name: os.hostname(),
        concurrency: os.availableParallelism(),
        native: true,
        sandbox: true,
        contain: 'auto',
        printCapabilities: false,
      },
    })
  })

  it('puts flags over the environment', () => {
    const made = runnerConfig(
      { orchestrator: 'http://flag:1', token: 'flag-token' },
      { ZERVERLESS_ORCHESTRATOR: 'http://env:1', ZERVERLESS_RUNNER_TOKEN: 'env-token' },
    )
    expect(made.ok && [made.value.orchestrator, made.value.token]).toEqual([
      'http://flag:1',
      'flag-token',
    ])
    const fromEnv = runnerConfig({}, { ZERVERLESS_ORCHESTRATOR: 'h', ZERVERLESS_RUNNER_TOKEN: 't' })
    expect(fromEnv.ok && fromEnv.value.token).toBe('t')
  })

  it('needs an orchestrator and something to run, unless it only prints capabilities', () => {
    expect(runnerConfig({}, {})).toEqual({
      ok: false,
      error: { code: 'MISSING_SETTING', message: '--orchestrator <url> is required (see --help)' },
    })
    const nothing = runnerConfig({ orchestrator: 'h', native: false, sandbox: false }, {})
    expect(nothing.ok || nothing.error.message).toBe(
      'with --no-native and --no-sandbox there is nothing to run',
    )
    expect(runnerConfig({ printCapabilities: true, native: false, sandbox: false }, {}).ok).toBe(
      true,
    )
  })
})
