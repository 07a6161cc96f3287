/**
 * What `zerverless` runs, from its flags over its environment over the schemas' defaults: an
 * orchestrator (core/host-config.ts) or, with `--worker`, a worker for another (worker-mode.ts).
 */
import os from 'node:os'
import { mergeLayers, type EnvLike, type SettingResult } from '../../shared/agent/setting-sources'
import { configFromEnv } from '../core/config-from-env'
import { HostConfig, type HostConfigInput } from '../core/host-config'
import type { ZerverlessFlags } from './cli-program'
import { limitInput } from './limit-options'
import { workerModeConfig, type WorkerModeConfig } from './worker-mode'

/** What to run: an orchestrator with its internal workers, or only workers for another. */
export type ZerverlessConfig =
  | { mode: 'worker'; worker: WorkerModeConfig }
  | { mode: 'orchestrator'; host: HostConfig; workers: number }

/** `flags`: only those given on the command line (see givenOptions), so that `env` fills the rest. */
export function zerverlessConfig(
  flags: Partial<ZerverlessFlags>,
  env: EnvLike,
): SettingResult<ZerverlessConfig> {
  if (flags.worker !== undefined) {
    const worker = workerModeConfig(
      {
        url: flags.worker,
        workers: flags.workers,
        warmBudgetMb: flags.warmBudgetMb,
        namespaces: flags.namespaces,
        token: flags.token,
      },
      env,
    )
    return worker.ok ? { ok: true, value: { mode: 'worker', worker: worker.value } } : worker
  }
  const given = hostInput(flags)
  const fromEnv = configFromEnv(env, 'node', given)
  if (!fromEnv.ok) return fromEnv
  const host = HostConfig.parse(mergeLayers<HostConfigInput>(fromEnv.value, given))
  return {
    ok: true,
    value: { mode: 'orchestrator', host, workers: host.workers ?? os.availableParallelism() },
  }
}

function hostInput(flags: Partial<ZerverlessFlags>): HostConfigInput {
  return {
    port: flags.port,
    host: flags.host,
    dataDir: flags.dataDir,
    workers: flags.workers,
    warmBudgetMb: flags.warmBudgetMb,
    requestTimeoutSeconds: flags.requestTimeout,
    logLevel: flags.logLevel,
    auth: flags.auth,
    secretsKey: flags.secretsKey,
    p2p: {
      port: flags.p2pPort,
      host: flags.p2pHost,
      bootstrap: flags.bootstrap,
      swarmKeyFile: flags.swarmKey,
      allow: flags.federationAllow,
      forwardAfterSeconds: flags.forwardAfter,
    },
    orchestrator: {
      maxBodyBytes: flags.maxBodyBytes,
      maxUploadBytes: flags.maxUploadBytes,
      heartbeatIntervalMs:
        flags.heartbeatInterval === undefined
          ? undefined
          : Math.round(flags.heartbeatInterval * 1000),
      runnerToken: flags.runnerToken,
      volunteerToken: flags.volunteerToken,
      corsOrigins: flags.corsOrigin,
      limits: limitInput(flags),
    },
  }
}
