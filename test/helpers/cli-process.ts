/** Runs the built developer CLI (`zerverless <verb> …`) as a child process, as a user's shell would. */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { removeDir, startZerverless, tempDir, type ZerverlessProcess } from './zerverless-process'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as the one JSON document `--json` promises. */
  json: () => unknown
}

export interface CliOptions {
  /** Written to stdin, which is then closed (a pipe, not a terminal). */
  stdin?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Spawns `zerverless …args` and resolves once it exits. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: options.cwd,
    // ZERVERLESS_URL/TOKEN from the test runner's own environment must not leak in.
    env: { ...process.env, ZERVERLESS_URL: '', ZERVERLESS_TOKEN: '', ...options.env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdin.end(options.stdin ?? '')
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as unknown }),
    )
  })
}

/** `runCli` against one orchestrator: `--url` given, and `--json` when asked. */
export function cliAt(url: string, token?: string) {
  const base = ['--url', url, ...(token ? ['--token', token] : [])]
  return {
    run: (args: string[], options?: CliOptions) => runCli([...base, ...args], options),
    json: (args: string[], options?: CliOptions) => runCli([...base, '--json', ...args], options),
  }
}

/** What `cliTestServer` gives a test file: its orchestrator, a CLI aimed at it, a scratch dir. */
export interface CliTestServer {
  readonly server: ZerverlessProcess
  readonly cli: ReturnType<typeof cliAt>
  readonly dir: string
  /** Writes `text` to `name` under `dir` (making its folders) and answers the full path. */
  file(name: string, text: string): string
}

/**
 * One orchestrator (one internal worker) for the test file, started before its tests and
 * stopped after them with its data and the scratch directory removed.
 */
export function cliTestServer(name: string): CliTestServer {
  const dir = tempDir(`zv-cli-${name}-`)
  let server: ZerverlessProcess | undefined
  let cli: ReturnType<typeof cliAt> | undefined
  beforeAll(async () => {
    server = await startZerverless(['--workers', '1'])
    cli = cliAt(server.url)
  })
  afterAll(async () => {
    if (server) {
      await server.stop()
      removeDir(server.dataDir)
    }
    removeDir(dir)
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the CLI test server is used before it started')
    return value
  }
  return {
    get server() {
      return started(server)
    },
    get cli() {
      return started(cli)
    },
    dir,
    file(name, text) {
      const at = path.join(dir, name)
      mkdirSync(path.dirname(at), { recursive: true })
      writeFileSync(at, text)
      return at
    },
  }
}
