/**
 * `zerverless [serve]`'s flags and --help. The defaults shown are the schemas' (core/host-config.ts,
 * core/config.ts); the flags' values reach them through node-config.ts, over the environment.
 */
import os from 'node:os'
import { Command, Option } from 'commander'
import { optionParser } from '../../shared/agent/node/cli-options'
import {
  commaList,
  oneOf,
  plainText,
  positiveSeconds,
  secretText,
  wholeNumber,
} from '../../shared/agent/text-values'
import { DEFAULT_WARM_BUDGET_MB } from '../../shared/sandbox/warm-budget'
import { VERSION } from '../core/config'
import { HostConfig } from '../core/host-config'
import { LOG_THRESHOLDS } from '../core/observability/logger'
import { addLimitOptions, type LimitFlags } from './limit-options'

/** The flags as commander parses them (only those given on the command line are used). */
export interface ZerverlessFlags extends LimitFlags {
  port?: number
  host?: string
  dataDir?: string
  workers?: number
  warmBudgetMb?: number
  worker?: string
  namespaces?: string[]
  token?: string
  maxBodyBytes?: number
  maxUploadBytes?: number
  runnerToken?: string
  auth?: 'on' | 'off'
  corsOrigin?: string[]
  volunteerToken?: string
  heartbeatInterval?: number
  requestTimeout?: number
  logLevel?: (typeof LOG_THRESHOLDS)[number]
  p2pPort?: number
  p2pHost?: string
  bootstrap?: string[]
  swarmKey?: string
  federationAllow?: string[]
  forwardAfter?: number
  newSwarmKey?: string
  secretsKey?: string
}

/** `zerverless`'s command, ready to parse. */
export function zerverlessProgram(): Command {
  const cores = os.availableParallelism()
  const d = HostConfig.parse({})
  const token = optionParser(secretText)
  const program = new Command('zerverless')
    .description(
      'Volunteer-powered compute: an orchestrator with internal workers, or a worker for one.',
    )
    .version(VERSION)
    .option(
      '--port <n>',
      'HTTP port (env PORT); 0 picks a free one',
      optionParser(wholeNumber(0, 65535)),
      d.port,
    )
    .option(
      '--host <address>',
      'address to listen on; keep 127.0.0.1 unless the API is protected',
      d.host,
    )
    .option(
      '--data-dir <dir>',
      'where jobs are stored (env ZERVERLESS_DATA_DIR)',
      optionParser(plainText),
      d.dataDir,
    )
    .option(
      '--workers <n>',
      `volunteers to run in a child process of this one, one sandbox thread each; 0 for none (default: ${cores}, one per core)`,
      optionParser(wholeNumber(0, 1024)),
    )
    .option(
      '--warm-budget-mb <n>',
      `memory each sandbox thread (internal workers, or --worker) may keep in warm function contexts, least recently used evicted first; 0 keeps none (default: ${DEFAULT_WARM_BUDGET_MB})`,
      optionParser(wholeNumber(0, 65536)),
    )
    .option(
      '--worker <ws-url>',
      'run only a worker: connect to this orchestrator, e.g. ws://host:8000/ws/volunteer',
    )
    .option(
      '--namespaces <list>',
      'with --worker: only run jobs from these comma-separated namespaces',
      optionParser(commaList),
    )
    .option(
      '--token <token>',
      "with --worker: the credential to present, the orchestrator's volunteer token or one its admin issued with the volunteer right (env ZERVERLESS_WORKER_TOKEN)",
      token,
    )
    .option(
      '--max-body-bytes <n>',
      'largest request body the API accepts',
      optionParser(wholeNumber(1024, 1 << 30)),
      d.orchestrator.maxBodyBytes,
    )
    .option(
      '--max-upload-bytes <n>',
      'largest file one storage upload may be (uploads stream to disk)',
      optionParser(wholeNumber(1, 2 ** 50)),
      d.orchestrator.maxUploadBytes,
    )
    .option(
      '--runner-token <token>',
      'require runners (zerverless-runner --token) and service uploads to present this token (env ZERVERLESS_RUNNER_TOKEN)',
      token,
    )
    .option(
      '--auth <on|off>',
      'require tokens for the API (default: on unless --host is loopback)',
      optionParser(oneOf(['on', 'off'])),
    )
    .option(
      '--cors-origin <origins>',
      'comma-separated browser origins allowed to call the API, or * (env ZERVERLESS_CORS_ORIGINS)',
      optionParser(commaList),
    )
    .option(
      '--volunteer-token <token>',
      'a shared credential for volunteers (?token= on /ws/volunteer, or zerverless --worker --token); once set, volunteers without a credential are turned away (env ZERVERLESS_VOLUNTEER_TOKEN)',
      token,
    )
    .option(
      '--heartbeat-interval <seconds>',
      'how often volunteers must show they are alive; two missed intervals drop them',
      optionParser(positiveSeconds),
      d.orchestrator.heartbeatIntervalMs / 1000,
    )
    .option(
      '--request-timeout <seconds>',
      'longest a client may take to send a whole request (headers: at most 60 s); slower ones get 408',
      optionParser(positiveSeconds),
      d.requestTimeoutSeconds,
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'JSON log lines on stdout at this level and above; one line per request at debug (env ZERVERLESS_LOG_LEVEL)',
      )
        .choices(LOG_THRESHOLDS)
        .default(d.logLevel),
    )
    .option(
      '--secrets-key <key>',
      'encrypts secrets and repository credentials at rest: 64 hex digits or base64 of 32 bytes (env ZERVERLESS_SECRETS_KEY; default: one generated into <data-dir>/secrets.key, mode 0600)',
      token,
    )
    .option(
      '--p2p-port <n>',
      'join a mesh of orchestrators: the libp2p TCP port (env LIBP2P_PORT; 0 picks one). Without it or --bootstrap no P2P port is opened',
      optionParser(wholeNumber(0, 65535)),
    )
    .option(
      '--p2p-host <address>',
      'the address the P2P port listens on',
      optionParser(plainText),
      d.p2p.host,
    )
    .option(
      '--bootstrap <multiaddrs>',
      'peers to join the mesh through, comma-separated /ip4/…/tcp/…/p2p/… (env BOOTSTRAP_PEERS); other peers are found through the DHT',
      optionParser(commaList),
    )
    .option(
      '--swarm-key <file>',
      'a libp2p private-network key: nodes without the same key cannot connect at all (env ZERVERLESS_SWARM_KEY; make one with --new-swarm-key)',
      optionParser(plainText),
    )
    .option(
      '--new-swarm-key <file>',
      'write a new swarm key to <file> (mode 0600; an existing file is kept) and exit: copy it to every node of one private mesh',
      optionParser(plainText),
    )
    .option(
      '--federation-allow <peer-ids>',
      'the only peers that may send work here and take ours, comma-separated (env ZERVERLESS_FEDERATION_ALLOW); without it or --swarm-key any node that reaches the P2P port may join',
      optionParser(commaList),
    )
    .option(
      '--forward-after <seconds>',
      'offer jobs that waited here this long to peers that can run them (default: only jobs no volunteer here can run go to peers)',
      optionParser(positiveSeconds),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ zerverless                                   orchestrator on 127.0.0.1:8000 with ${cores} internal workers
  $ zerverless --workers 0 --port 9000           orchestrator only, volunteers connect from elsewhere
  $ zerverless --worker ws://host:8000/ws/volunteer --workers 4
                                                 donate 4 threads to another orchestrator
  $ zerverless --p2p-port 4001 --bootstrap /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW…
                                                 join a mesh: jobs nobody here can run go to peers

Developer commands (zerverless help [command]; docs/cli.md):
  run, jobs, batch, deploy, invoke, logs, functions, kv, storage, tokens, secrets, cron,
  workflows, gitops, init; \`zerverless serve [flags]\` is \`zerverless [flags]\``,
    )
  return addLimitOptions(program)
}
