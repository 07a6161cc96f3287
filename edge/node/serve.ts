/** `zerverless [serve]`: the orchestrator (default) or, with `--worker <url>`, a standalone worker. */
import { mkdirSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { givenOptions } from '../../shared/agent/node/cli-options'
import type { HostConfig } from '../core/host-config'
import { setUpAuth } from './auth-setup'
import { zerverlessProgram, type ZerverlessFlags } from './cli-program'
import { zerverlessConfig } from './node-config'
import { startServer, type P2pOptions } from './server'
import { stdoutLogger } from './stdout-logger'
import { runWorkerMode } from './worker-mode'
import { startLine } from './start-line'
import { generateSwarmKey } from './federation/swarm-key'

const program = zerverlessProgram()
program.parse(serveArgv(process.argv))
const keyFile = program.opts<ZerverlessFlags>().newSwarmKey
if (keyFile !== undefined) await writeNewSwarmKey(keyFile)
const made = zerverlessConfig(givenOptions<ZerverlessFlags>(program), process.env)
if (!made.ok) program.error(`error: ${made.error.message}`)
else if (made.value.mode === 'worker') runWorkerMode(made.value.worker)
else await runOrchestrator(made.value.host, made.value.workers)

async function writeNewSwarmKey(file: string): Promise<never> {
  try {
    await writeFile(file, generateSwarmKey(), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    console.error(`zerverless: cannot write a swarm key to ${file}: ${(err as Error).message}`)
    process.exit(1)
  }
  console.log(
    `a new swarm key is in ${file}: start every node of the mesh with --swarm-key ${file}`,
  )
  process.exit(0)
}

/** The embedded default stays closed: a P2P port opens only when asked for. */
function joinsMesh(host: HostConfig): boolean {
  return host.p2p.port !== undefined || host.p2p.bootstrap.length > 0
}

async function p2pOptions(p2p: HostConfig['p2p']): Promise<P2pOptions> {
  return {
    host: p2p.host,
    port: p2p.port ?? 0,
    bootstrap: p2p.bootstrap,
    swarmKey: p2p.swarmKeyFile === undefined ? undefined : await readSwarmKey(p2p.swarmKeyFile),
    allow: p2p.allow,
    forwardAfterMs:
      p2p.forwardAfterSeconds === undefined ? undefined : p2p.forwardAfterSeconds * 1000,
  }
}

async function readSwarmKey(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file)
  } catch (err) {
    console.error(`zerverless: cannot read the swarm key ${file}: ${(err as Error).message}`)
    process.exit(1)
  }
}

async function runOrchestrator(host: HostConfig, workers: number): Promise<void> {
  const dataDir = path.resolve(host.dataDir)
  mkdirSync(dataDir, { recursive: true })
  const auth = setUpAuth(dataDir, {
    host: host.host,
    ...(host.auth && { mode: host.auth }),
    ...(host.adminToken && { adminToken: host.adminToken }),
  })
  const server = await startServer({
    host: host.host,
    port: host.port,
    dataDir,
    workers,
    ...(host.warmBudgetMb !== undefined && { warmBudgetMb: host.warmBudgetMb }),
    logger: stdoutLogger(host.logLevel),
    requestTimeoutMs: Math.round(host.requestTimeoutSeconds * 1000),
    config: { ...host.orchestrator, auth: auth.settings },
    ...(host.secretsKey !== undefined && { secretsKey: host.secretsKey }),
    ...(joinsMesh(host) && { p2p: await p2pOptions(host.p2p) }),
  }).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE' ? `port ${host.port} is already in use (try --port)` : err.message
    console.error(`zerverless: cannot start: ${why}`)
    process.exit(1)
  })
  // The human line first: where to go next (scripts read the URL after "listening on"). What
  // follows it on stdout goes in the same write, so a reader that sees the line sees it all.
  const lines = [startLine(server.url, workers, dataDir)]
  if (auth.settings.enabled) lines.push(...auth.notices)
  else for (const line of auth.notices) console.error(line)
  // Anonymous runners are turned away with auth on; say how one gets in.
  if (auth.settings.enabled && !host.orchestrator.runnerToken)
    lines.push(
      'runners must present a credential: a token the admin issues with the "runner" right (POST /api/tokens), or set --runner-token',
    )
  console.log(lines.join('\n'))
  const federation = server.orchestrator.federation
  if (federation?.self)
    console.log(
      `zerverless joined the mesh as ${federation.self} at ${federation.addresses().join(', ')}`,
    )
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    console.log(`zerverless: ${signal} received, shutting down`)
    void server.close().then(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

/** `zerverless serve [flags]` is `zerverless [flags]`: the word is dropped before commander sees it. */
function serveArgv(argv: string[]): string[] {
  return argv[2] === 'serve' ? [...argv.slice(0, 2), ...argv.slice(3)] : argv
}
