/**
 * The runner's settings as one schema, each default declared here: from its flags (runner-program.ts)
 * over its environment (`ZERVERLESS_ORCHESTRATOR`, `ZERVERLESS_RUNNER_TOKEN`) over these defaults.
 */
import os from 'node:os'
import { z } from 'zod'
import {
  envVariables,
  mergeLayers,
  readEnv,
  type EnvLike,
  type SettingResult,
} from '../shared/agent/setting-sources'
import { plainText, secretText } from '../shared/agent/text-values'
import { CONTAINMENT_CHOICES } from './native/containment'
import { defaultDataDir } from './runner-paths'

export const RunnerConfig = z.object({
  /** The orchestrator, as typed (see shared/agent/orchestrator-url.ts); needed unless printing. */
  orchestrator: z.string().optional(),
  /** Services, outputs and the runner's id. */
  dataDir: z.string().default(() => defaultDataDir()),
  /** How this runner appears in GET /api/peers. */
  name: z.string().default(() => os.hostname()),
  /** The orchestrator's runner token, or a token its admin issued with the runner right. */
  token: z.string().optional(),
  /** Jobs at once: native processes and sandbox threads. */
  concurrency: z
    .int()
    .min(1)
    .max(256)
    .default(() => os.availableParallelism()),
  /** Run native executables (standalone services). */
  native: z.boolean().default(true),
  /** Run sandboxed js/lua/python/wasm jobs. */
  sandbox: z.boolean().default(true),
  /** What warm function contexts may hold per sandbox thread, in MiB (0 keeps none warm; absent, 64). */
  warmBudgetMb: z.int().min(0).max(65536).optional(),
  /** Executables services may run; absent, path-policy.ts decides by where the orchestrator is. */
  allowPath: z.array(z.string()).optional(),
  /** What holds each native run. */
  contain: z.enum(CONTAINMENT_CHOICES).default('auto'),
  /** Print what this machine offers and exit. */
  printCapabilities: z.boolean().default(false),
})
export type RunnerConfig = z.infer<typeof RunnerConfig>
export type RunnerConfigInput = z.input<typeof RunnerConfig>

/** What the runner does: print its capabilities, or connect, which needs an orchestrator. */
export type RunnerPlan =
  | (RunnerConfig & { printCapabilities: true })
  | (RunnerConfig & { printCapabilities: false; orchestrator: string })

const variable = envVariables<RunnerConfigInput>()
const ENV = {
  ZERVERLESS_ORCHESTRATOR: variable(plainText, 'orchestrator'),
  ZERVERLESS_RUNNER_TOKEN: variable(secretText, 'token'),
}

/**
 * The runner's settings: `flags` (those given on the command line) over `env` over the defaults.
 * Unless it only prints capabilities, it needs an orchestrator and something to run.
 */
export function runnerConfig(flags: RunnerConfigInput, env: EnvLike): SettingResult<RunnerPlan> {
  const fromEnv = readEnv(env, ENV, flags)
  if (!fromEnv.ok) return fromEnv
  const config = RunnerConfig.parse(mergeLayers<RunnerConfigInput>(fromEnv.value, flags))
  if (config.printCapabilities) return { ok: true, value: { ...config, printCapabilities: true } }
  const { orchestrator } = config
  if (!orchestrator)
    return {
      ok: false,
      error: { code: 'MISSING_SETTING', message: '--orchestrator <url> is required (see --help)' },
    }
  if (!config.native && !config.sandbox)
    return {
      ok: false,
      error: {
        code: 'CONFLICTING_SETTINGS',
        message: 'with --no-native and --no-sandbox there is nothing to run',
      },
    }
  return { ok: true, value: { ...config, printCapabilities: false, orchestrator } }
}
