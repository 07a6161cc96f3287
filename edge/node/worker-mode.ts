/** `zerverless --worker <url>`: volunteers for another orchestrator, drained cleanly on Ctrl-C. */
import os from 'node:os'
import { z } from 'zod'
import { agentCli } from '../../shared/agent/node/agent-cli'
import { superviseWorkerHost } from '../../shared/agent/node/worker-host-supervisor'
import {
  envVariables,
  mergeLayers,
  readEnv,
  type EnvLike,
  type SettingResult,
} from '../../shared/agent/setting-sources'
import { secretText } from '../../shared/agent/text-values'

/** Worker mode's settings, with their defaults. */
export const WorkerModeConfig = z.object({
  /** The orchestrator, as typed (see shared/agent/orchestrator-url.ts). */
  url: z.string(),
  /** Volunteers, one sandbox thread each. */
  workers: z
    .int()
    .min(0)
    .max(1024)
    .default(() => os.availableParallelism()),
  /** Only jobs from these namespaces; absent or empty, any. */
  namespaces: z.array(z.string()).optional(),
  /** Presented in hello (`--token`): makes these volunteers trusted for the token's namespaces. */
  token: z.string().optional(),
  /** What warm function contexts may hold per sandbox thread, in MiB (absent, 64). */
  warmBudgetMb: z.int().min(0).max(65536).optional(),
})
export type WorkerModeConfig = z.infer<typeof WorkerModeConfig>
type WorkerModeInput = z.input<typeof WorkerModeConfig>

const ENV = { ZERVERLESS_WORKER_TOKEN: envVariables<WorkerModeInput>()(secretText, 'token') }

/** Worker mode's settings: `flags` (those given) over the environment over the defaults. */
export function workerModeConfig(
  flags: Partial<WorkerModeInput> & { url: string },
  env: EnvLike,
): SettingResult<WorkerModeConfig> {
  const fromEnv = readEnv(env, ENV, flags)
  if (!fromEnv.ok) return fromEnv
  return { ok: true, value: WorkerModeConfig.parse(mergeLayers(fromEnv.value, flags)) }
}

/** Starts the volunteers (in a child process) and keeps them until a signal drains or stops them. */
export function runWorkerMode(config: WorkerModeConfig): void {
  const cli = agentCli({ command: 'zerverless' })
  const url = cli.endpoints(config.url).volunteerUrl
  // Guests run in a child process, started again if one brings it down (worker-host-supervisor.ts).
  const host = superviseWorkerHost(
    {
      url,
      workers: config.workers,
      ...(config.warmBudgetMb !== undefined && { warmBudgetMb: config.warmBudgetMb }),
      kind: 'node',
      ...(config.namespaces && { namespaces: config.namespaces }),
      ...(config.token && { token: config.token }),
    },
    {
      onEvent: (i, event) => cli.logEvent(event, { url, who: `worker ${i + 1}` }),
      onRestart: (why, inMs) =>
        cli.log(`the workers' process exited (${why}); starting it again in ${inMs} ms`),
    },
  )
  cli.log(
    `zerverless worker: ${config.workers} volunteer${config.workers === 1 ? '' : 's'} for ${url}`,
  )
  cli.drainOnSignals(host)
}
