/** `zerverless`: the orchestrator (default) or, with `--worker <url>`, a standalone worker. */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { givenOptions } from '../../shared/agent/node/cli-options'
import type { HostConfig } from '../core/host-config'
import { setUpAuth } from './auth-setup'
import { zerverlessProgram, type ZerverlessFlags } from './cli-program'
import { zerverlessConfig } from './node-config'
import { startServer } from './server'
import { stdoutLogger } from './stdout-logger'
import { runWorkerMode } from './worker-mode'

const program = zerverlessProgram()
program.parse()
const made = zerverlessConfig(givenOptions<ZerverlessFlags>(program), process.env)
if (!made.ok) program.error(`error: ${made.error.message}`)
else if (made.value.mode === 'worker') runWorkerMode(made.value.worker)
else await runOrchestrator(made.value.host, made.value.workers)

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
  }).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE' ? `port ${host.port} is already in use (try --port)` : err.message
    console.error(`zerverless: cannot start: ${why}`)
    process.exit(1)
  })
  for (const line of auth.notices) (auth.settings.enabled ? console.log : console.error)(line)
  // Anonymous runners are turned away with auth on; say how one gets in.
  if (auth.settings.enabled && !host.orchestrator.runnerToken)
    console.log(
      'runners must present a credential: a token the admin issues with the "runner" right (POST /api/tokens), or set --runner-token',
    )
  console.log(
    `zerverless listening on ${server.url} (${workers} internal worker${workers === 1 ? '' : 's'}, data in ${dataDir})`,
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
