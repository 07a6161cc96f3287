/**
 * `zerverless-runner`: a native peer. It publishes its machine's capabilities, runs standalone
 * services' executables (unless `--no-native`; only those `--allow-path` allows, each run held in
 * a cgroup or PID namespace so that all of it stops), and runs sandboxed js/lua/python/wasm jobs
 * on worker threads (unless `--no-sandbox`), for one orchestrator, reconnecting as needed.
 */
import path from 'node:path'
import { agentCli, type AgentCli } from '../shared/agent/node/agent-cli'
import { givenOptions } from '../shared/agent/node/cli-options'
import { nodeSocket } from '../shared/agent/node/node-socket'
import { VolunteerAgent } from '../shared/agent/volunteer-agent'
import type { Runtime } from '../shared/protocol/job'
import { VERSION } from '../shared/protocol/version'
import { NODE_RUNTIMES } from '../shared/sandbox/node/runtimes'
import { ThreadExecutor } from '../shared/sandbox/node/thread-executor'
import { NativeExecutor } from './native-executor'
import { detectContainment } from './native/containment'
import type { Containment } from './native/process-tree'
import { pathPolicy } from './path-policy'
import { loadPeerId } from './peer-identity'
import { runnerConfig, type RunnerConfigInput } from './runner-config'
import { RunnerExecutor } from './runner-executor'
import { servicesRoot } from './runner-paths'
import { runnerProgram } from './runner-program'
import { runnerServices } from './runner-services'
import { ServiceRegistry } from './service-registry'
import { detectSystem, refreshSystem } from './system/detect-system'
import { formatCapabilities } from './system/print-capabilities'

// Typed, so that TypeScript sees cli.fail() end the program.
const cli: AgentCli = agentCli({ command: 'zerverless-runner', prefix: 'zerverless-runner: ' })
const program = runnerProgram()
program.parse()
const made = runnerConfig(givenOptions<RunnerConfigInput>(program), process.env)
if (!made.ok) cli.fail(made.error.message)
const opts = made.value
const dataDir = path.resolve(opts.dataDir)
const system = await detectSystem({ dataDir })
if (opts.printCapabilities) {
  console.log(formatCapabilities(system))
  process.exit(0)
}
const orchestrator = cli.endpoints(opts.orchestrator, { role: 'runner' })
const allowed = await pathPolicy({
  allowPath: opts.allowPath,
  orchestratorHost: orchestrator.hostname,
  servicesDir: servicesRoot(dataDir),
})
if (!allowed.ok) cli.fail(allowed.message)
const policy = allowed.policy
const peerId = await loadPeerId(dataDir)
let containment: Containment | undefined
if (opts.native) {
  const found = await detectContainment(opts.contain, { owner: `peer-${peerId}` })
  if (!found.ok) cli.fail(found.message)
  containment = found.containment
  const skipped = found.skipped.length ? ` (not: ${found.skipped.join('; ')})` : ''
  cli.log(`native runs are held by ${containment.description}${skipped}`)
  cli.log(`native executables allowed: ${policy.patterns.join(', ') || 'none'} (${policy.origin})`)
}
const registry = new ServiceRegistry(dataDir)
await registry.load()
const runtimes: Runtime[] = [
  ...(opts.sandbox ? NODE_RUNTIMES : []),
  ...(opts.native ? (['native'] as const) : []),
]
const executor = new RunnerExecutor(
  opts.sandbox
    ? new ThreadExecutor({
        threads: opts.concurrency,
        ...(opts.warmBudgetMb !== undefined && { warmBudgetBytes: opts.warmBudgetMb << 20 }),
      })
    : undefined,
  opts.native
    ? new NativeExecutor({
        dataDir,
        peerId,
        httpBase: orchestrator.httpBase,
        registry,
        policy,
        containment,
      })
    : undefined,
)
const url = orchestrator.volunteerUrl
const agent = new VolunteerAgent({
  url,
  connect: nodeSocket,
  executor,
  agent: { kind: 'runner', name: opts.name.slice(0, 128), version: VERSION },
  capabilities: { runtimes, concurrency: opts.concurrency, prefetch: 0 },
  peer: { id: peerId, native: opts.native, system },
  ...(opts.token && { token: opts.token }),
  services: runnerServices({
    dataDir,
    registry,
    native: opts.native,
    policy,
    containment,
    log: cli.log,
  }),
  refreshSystem: () => refreshSystem(system, { dataDir }),
  onEvent: (event) => cli.logEvent(event, { url, as: `peer ${peerId}`, jobFailures: true }),
})
cli.log(
  `peer ${peerId} (${opts.name}): ${runtimes.join(', ')}; ${opts.concurrency} at once; data in ${dataDir}`,
)
agent.start()
cli.drainOnSignals({
  drain: () => agent.drain().then(() => executor.close()),
  stop: () => {
    agent.stop()
    return executor.close()
  },
  running: () => agent.runningJobs,
})
