/** `zerverless`: the orchestrator (default) or, with `--worker <url>`, a standalone worker. */
import os from 'node:os'
import path from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { LOG_THRESHOLDS, type LogThreshold } from '../core/observability/logger'
import { stdoutLogger } from './stdout-logger'
import { VERSION } from '../core/config'
import { mkdirSync } from 'node:fs'
import { setUpAuth } from './auth-setup'
import { addLimitOptions, limitSettings } from './limit-options'
import { DEFAULT_REQUEST_TIMEOUT_MS, startServer } from './server'
import { runWorkerMode } from './worker-mode'

function integer(min: number, max: number) {
  return (value: string) => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`)
    return n
  }
}

function seconds(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive number of seconds')
  return n
}

const cores = os.availableParallelism()

const program = new Command('zerverless')
  .description(
    'Volunteer-powered compute: an orchestrator with internal workers, or a worker for one.',
  )
  .version(VERSION)
  .option(
    '--port <n>',
    'HTTP port (env PORT); 0 picks a free one',
    integer(0, 65535),
    Number(process.env.PORT ?? 8000),
  )
  .option(
    '--host <address>',
    'address to listen on; keep 127.0.0.1 unless the API is protected',
    '127.0.0.1',
  )
  .option(
    '--data-dir <dir>',
    'where jobs are stored (env ZERVERLESS_DATA_DIR)',
    process.env.ZERVERLESS_DATA_DIR ?? './data',
  )
  .option(
    '--workers <n>',
    `volunteers to run in a child process of this one, one sandbox thread each; 0 for none (default: ${cores}, one per core)`,
    integer(0, 1024),
  )
  .option(
    '--worker <ws-url>',
    'run only a worker: connect to this orchestrator, e.g. ws://host:8000/ws/volunteer',
  )
  .option(
    '--namespaces <list>',
    'with --worker: only run jobs from these comma-separated namespaces',
  )
  .option(
    '--token <token>',
    "with --worker: the credential to present, the orchestrator's volunteer token or one its admin issued with the volunteer right (env ZERVERLESS_WORKER_TOKEN)",
    process.env.ZERVERLESS_WORKER_TOKEN,
  )
  .option(
    '--max-body-bytes <n>',
    'largest request body the API accepts',
    integer(1024, 1 << 30),
    1024 * 1024,
  )
  .option(
    '--max-upload-bytes <n>',
    'largest file one storage upload may be (uploads stream to disk)',
    integer(1, 2 ** 50),
    2 * 1024 ** 3,
  )
  .option(
    '--runner-token <token>',
    'require runners (zerverless-runner --token) and service uploads to present this token (env ZERVERLESS_RUNNER_TOKEN)',
    process.env.ZERVERLESS_RUNNER_TOKEN,
  )
  .option(
    '--auth <on|off>',
    'require tokens for the API (default: on unless --host is loopback)',
    (value: string) => {
      if (value !== 'on' && value !== 'off') throw new InvalidArgumentError('must be on or off')
      return value
    },
  )
  .option(
    '--cors-origin <origins>',
    'comma-separated browser origins allowed to call the API, or * (env ZERVERLESS_CORS_ORIGINS)',
    process.env.ZERVERLESS_CORS_ORIGINS,
  )
  .option(
    '--volunteer-token <token>',
    'a shared credential for volunteers (?token= on /ws/volunteer, or zerverless --worker --token); once set, volunteers without a credential are turned away (env ZERVERLESS_VOLUNTEER_TOKEN)',
    process.env.ZERVERLESS_VOLUNTEER_TOKEN,
  )
  .option(
    '--heartbeat-interval <seconds>',
    'how often volunteers must show they are alive; two missed intervals drop them',
    seconds,
    15,
  )
  .option(
    '--request-timeout <seconds>',
    'longest a client may take to send a whole request (headers: at most 60 s); slower ones get 408',
    seconds,
    DEFAULT_REQUEST_TIMEOUT_MS / 1000,
  )
  .addOption(
    new Option(
      '--log-level <level>',
      'JSON log lines on stdout at this level and above; one line per request at debug',
    )
      .choices(LOG_THRESHOLDS)
      .env('ZERVERLESS_LOG_LEVEL')
      .default('info'),
  )
  .addHelpText(
    'after',
    `
Examples:
  $ zerverless                                   orchestrator on 127.0.0.1:8000 with ${cores} internal workers
  $ zerverless --workers 0 --port 9000           orchestrator only, volunteers connect from elsewhere
  $ zerverless --worker ws://host:8000/ws/volunteer --workers 4
                                                 donate 4 threads to another orchestrator`,
  )

addLimitOptions(program)
program.parse()
const opts = program.opts<{
  port: number
  host: string
  dataDir: string
  workers?: number
  worker?: string
  namespaces?: string
  token?: string
  maxBodyBytes: number
  maxUploadBytes: number
  heartbeatInterval: number
  requestTimeout: number
  runnerToken?: string
  logLevel: LogThreshold
  auth?: 'on' | 'off'
  volunteerToken?: string
  corsOrigin?: string
}>()

if (opts.worker) {
  runWorkerMode({
    url: opts.worker,
    workers: opts.workers ?? cores,
    namespaces: opts.namespaces
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(opts.token && { token: opts.token }),
  })
} else {
  const workers = opts.workers ?? cores
  const dataDir = path.resolve(opts.dataDir)
  mkdirSync(dataDir, { recursive: true })
  const auth = setUpAuth(dataDir, {
    host: opts.host,
    ...(opts.auth && { mode: opts.auth }),
    ...(process.env.ZERVERLESS_ADMIN_TOKEN && { adminToken: process.env.ZERVERLESS_ADMIN_TOKEN }),
  })
  const server = await startServer({
    host: opts.host,
    port: opts.port,
    dataDir: path.resolve(opts.dataDir),
    workers,
    logger: stdoutLogger(opts.logLevel),
    requestTimeoutMs: Math.round(opts.requestTimeout * 1000),
    config: {
      maxBodyBytes: opts.maxBodyBytes,
      maxUploadBytes: opts.maxUploadBytes,
      heartbeatIntervalMs: Math.round(opts.heartbeatInterval * 1000),
      limits: limitSettings(program.opts()),
      ...(opts.runnerToken && { runnerToken: opts.runnerToken }),
      ...(opts.volunteerToken && { volunteerToken: opts.volunteerToken }),
      auth: auth.settings,
      corsOrigins: (opts.corsOrigin ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
  }).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE' ? `port ${opts.port} is already in use (try --port)` : err.message
    console.error(`zerverless: cannot start: ${why}`)
    process.exit(1)
  })
  for (const line of auth.notices) (auth.settings.enabled ? console.log : console.error)(line)
  // Anonymous runners are turned away with auth on; say how one gets in.
  if (auth.settings.enabled && !opts.runnerToken)
    console.log(
      'runners must present a credential: a token the admin issues with the "runner" right (POST /api/tokens), or set --runner-token',
    )
  console.log(
    `zerverless listening on ${server.url} (${workers} internal worker${workers === 1 ? '' : 's'}, data in ${path.resolve(opts.dataDir)})`,
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
