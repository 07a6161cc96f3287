/** Runs the built developer CLI (`zerverless <verb> …`) as a child process, as a user's shell would. */
import { spawn } from 'node:child_process'
import path from 'node:path'

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
