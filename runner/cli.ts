/**
 * `zerverless-runner`: a native peer. It publishes its machine's capabilities, runs standalone
 * services' executables (unless `--no-native`; only those `--allow-path` allows, each run held in
 * a cgroup or PID namespace so that all of it stops), and runs sandboxed js/lua/python/wasm jobs
 * on worker threads (unless `--no-sandbox`), for one orchestrator, reconnecting as needed.
 */
import os from 'node:os'
import path from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import WebSocket from 'ws'
import type { Runtime } from '../shared/protocol/job'
import type { SocketLike } from '../shared/agent/volunteer-agent'
import { VolunteerAgent } from '../shared/agent/volunteer-agent'
import { VERSION } from '../shared/protocol/version'
import { NODE_RUNTIMES } from '../shared/sandbox/node/runtimes'
import { ThreadExecutor } from '../shared/sandbox/node/thread-executor'
import { NativeExecutor } from './native-executor'
import {
  CONTAINMENT_CHOICES,
  detectContainment,
  type ContainmentChoice,
} from './native/containment'
import type { Containment } from './native/process-tree'
import { pathPolicy, SERVICES_WORD } from './path-policy'
import { loadPeerId } from './peer-identity'
import { RunnerExecutor } from './runner-executor'
import { defaultDataDir, servicesRoot } from './runner-paths'
import { runnerServices } from './runner-services'
import { ServiceRegistry } from './service-registry'
import { detectSystem, refreshSystem } from './system/detect-system'
import { formatCapabilities } from './system/print-capabilities'

const cores = os.availableParallelism()

function integer(min: number, max: number) {
  return (value: string) => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`)
    return n
  }
}

const program = new Command('zerverless-runner')
  .description(
    'A native peer for a Zerverless orchestrator: runs standalone services and sandboxed jobs.',
  )
  .version(VERSION)
  .option(
    '--orchestrator <url>',
    'the orchestrator, e.g. http://host:8000 (env ZERVERLESS_ORCHESTRATOR)',
    process.env.ZERVERLESS_ORCHESTRATOR,
  )
  .option('--data-dir <dir>', 'where services, outputs and the runner id live', defaultDataDir())
  .option('--name <name>', 'how this runner appears in GET /api/peers', os.hostname())
  .option(
    '--token <token>',
    "the orchestrator's runner token (env ZERVERLESS_RUNNER_TOKEN)",
    process.env.ZERVERLESS_RUNNER_TOKEN,
  )
  .option(
    '--concurrency <n>',
    'jobs at once (native processes and sandbox threads)',
    integer(1, 256),
    cores,
  )
  .option('--no-native', 'do not run native executables (standalone services)')
  .option(
    '--allow-path <globs>',
    `executables services may run: absolute globs (* within a directory, ** across them), matched after symlinks are resolved; repeatable or comma-separated; '${SERVICES_WORD}' allows uploaded and from-git services. Default: anything when the orchestrator is on loopback, nothing otherwise`,
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  )
  .addOption(
    new Option(
      '--contain <mechanism>',
      'what holds each native run so that a timeout or cancel stops all it started',
    )
      .choices(CONTAINMENT_CHOICES)
      .default('auto', 'a cgroup v2, else a PID namespace, else the process group'),
  )
  .option('--no-sandbox', 'do not run sandboxed js/lua/python/wasm jobs')
  .option('--print-capabilities', 'print what this machine offers and exit')
  .addHelpText(
    'after',
    `
Examples:
  $ zerverless-runner --orchestrator http://127.0.0.1:8000
  $ zerverless-runner --orchestrator https://zv.example.org --token "$TOKEN" --name gpu-box \\
      --allow-path '/opt/tools/*' --allow-path ${SERVICES_WORD}
  $ zerverless-runner --print-capabilities`,
  )

program.parse()
const opts = program.opts<{
  orchestrator?: string
  dataDir: string
  name: string
  token?: string
  concurrency: number
  native: boolean
  allowPath?: string[]
  contain: ContainmentChoice
  sandbox: boolean
  printCapabilities?: boolean
}>()

const dataDir = path.resolve(opts.dataDir)
const system = await detectSystem({ dataDir })
if (opts.printCapabilities) {
  console.log(formatCapabilities(system))
  process.exit(0)
}
if (!opts.orchestrator) {
  console.error('zerverless-runner: --orchestrator <url> is required (see --help)')
  process.exit(2)
}
if (!opts.native && !opts.sandbox) {
  console.error('zerverless-runner: with --no-native and --no-sandbox there is nothing to run')
  process.exit(2)
}

const { wsUrl, httpBase, host } = orchestratorUrls(opts.orchestrator)
const log = (line: string) => console.log(`zerverless-runner: ${line}`)
const made = await pathPolicy({
  allowPath: opts.allowPath,
  orchestratorHost: host,
  servicesDir: servicesRoot(dataDir),
})
if (!made.ok) {
  console.error(`zerverless-runner: ${made.message}`)
  process.exit(2)
}
const policy = made.policy
const peerId = await loadPeerId(dataDir)
let containment: Containment | undefined
if (opts.native) {
  const found = await detectContainment(opts.contain, { owner: `peer-${peerId}` })
  if (!found.ok) {
    console.error(`zerverless-runner: ${found.message}`)
    process.exit(2)
  }
  containment = found.containment
  const skipped = found.skipped.length ? ` (not: ${found.skipped.join('; ')})` : ''
  log(`native runs are held by ${containment.description}${skipped}`)
  log(`native executables allowed: ${policy.patterns.join(', ') || 'none'} (${policy.origin})`)
}
const registry = new ServiceRegistry(dataDir)
await registry.load()
const runtimes: Runtime[] = [
  ...(opts.sandbox ? NODE_RUNTIMES : []),
  ...(opts.native ? (['native'] as const) : []),
]
const executor = new RunnerExecutor(
  opts.sandbox ? new ThreadExecutor({ threads: opts.concurrency }) : undefined,
  opts.native
    ? new NativeExecutor({ dataDir, peerId, httpBase, registry, policy, containment })
    : undefined,
)
const agent = new VolunteerAgent({
  url: wsUrl,
  connect: (url) => new WebSocket(url, { maxPayload: 64 * 1024 * 1024 }) as unknown as SocketLike,
  executor,
  agent: { kind: 'runner', name: opts.name.slice(0, 128), version: VERSION },
  capabilities: { runtimes, concurrency: opts.concurrency, prefetch: 0 },
  peer: { id: peerId, native: opts.native, system },
  ...(opts.token && { token: opts.token }),
  services: runnerServices({ dataDir, registry, native: opts.native, policy, containment, log }),
  refreshSystem: () => refreshSystem(system, { dataDir }),
  onEvent: (event) => {
    if (event.type === 'welcome') log(`connected to ${wsUrl} as peer ${peerId}`)
    else if (event.type === 'disconnected' && event.retryInMs !== undefined)
      log(
        `disconnected (${event.code}${event.reason ? ` ${event.reason}` : ''}); retrying in ${event.retryInMs} ms`,
      )
    else if (event.type === 'protocol-error')
      log(`orchestrator says ${event.code}: ${event.message}`)
    else if (event.type === 'job-finished' && !event.ok)
      log(`job ${event.jobId} failed: ${event.error}`)
  },
})
log(
  `peer ${peerId} (${opts.name}): ${runtimes.join(', ')}; ${opts.concurrency} at once; data in ${dataDir}`,
)
agent.start()

let signals = 0
const onSignal = (signal: string) => {
  signals++
  if (signals > 1) {
    log('stopping now; running jobs are abandoned and the orchestrator re-queues them')
    agent.stop()
    void executor.close().then(() => process.exit(0))
    return
  }
  log(`${signal}: draining, finishing ${agent.runningJobs} running job(s) (repeat to stop now)`)
  void agent
    .drain()
    .then(() => executor.close())
    .then(() => process.exit(0))
}
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))

/**
 * http(s)://host:port → the volunteer socket and the API base; ws(s):// works too. `role=runner`
 * lets a sharded orchestrator (the edge) put runners where standalone services live.
 */
function orchestratorUrls(raw: string): { wsUrl: string; httpBase: string; host: string } {
  let url: URL
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    console.error(`zerverless-runner: '${raw}' is not a URL`)
    process.exit(2)
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:'
  const host = url.host
  return {
    wsUrl: `${secure ? 'wss' : 'ws'}://${host}/ws/volunteer?role=runner`,
    httpBase: `${secure ? 'https' : 'http'}://${host}`,
    host: url.hostname,
  }
}
