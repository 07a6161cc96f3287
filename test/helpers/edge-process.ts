/**
 * Starts the orchestrator under real workerd with `wrangler dev` on a free loopback port, state
 * in a fresh directory, and stops it by PID (SIGINT to wrangler's CLI also stops workerd).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { removeDir, tempDir } from './zerverless-process'
import { freePort } from './free-port'

const ROOT = path.resolve(import.meta.dirname, '../..')
const WRANGLER = path.join(ROOT, 'node_modules/wrangler/wrangler-dist/cli.js')

export interface EdgeProcess {
  url: string
  port: number
  wsUrl: string
  stateDir: string
  output: () => string
  /** SIGINT, then wait for exit; keeps the state directory (for restart tests). */
  stop(): Promise<void>
  /** Stops and removes the state directory. */
  dispose(): Promise<void>
}

interface EdgeOptions {
  rooms?: number
  stateDir?: string
  port?: number
  vars?: Record<string, string>
  /** Another wrangler.toml (the benchmarks' reference Worker). */
  config?: string
  /** Wrangler's own level; `log` lets the rooms' JSON log lines through (default `warn`). */
  logLevel?: 'warn' | 'log'
}

/**
 * A port found free can be taken by another process (another test's workerd) before wrangler
 * binds it: then it starts again, on a new free port, or on the same one a moment later when the
 * caller asked for that port (a restart).
 */
export async function startEdge(options: EdgeOptions = {}): Promise<EdgeProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchEdge(options)
    } catch (err) {
      const taken = err instanceof Error && err.message.includes('Address already in use')
      if (!taken || attempt === 3) throw err
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}

async function launchEdge(options: EdgeOptions): Promise<EdgeProcess> {
  const port = options.port ?? (await freePort())
  // Wrangler's own choice (the first free port from 9229) races when two start at once.
  const inspectorPort = await freePort()
  const stateDir = options.stateDir ?? tempDir('zv-edge-')
  // Tests run open (as on loopback) unless they ask for auth.
  const vars = { ROOMS: String(options.rooms ?? 4), AUTH: 'off', ...options.vars }
  const child: ChildProcess = spawn(
    process.execPath,
    [
      WRANGLER,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      stateDir,
      '--show-interactive-dev-session=false',
      '--log-level',
      options.logLevel ?? 'warn',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      ...(options.config ? ['--config', options.config] : []),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' },
    },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGINT')
      const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) {
      if (!options.stateDir) removeDir(stateDir)
      throw new Error(`wrangler dev exited:\n${output}`)
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`wrangler dev did not answer on ${url}:\n${output}`)
    }
    const healthy = await fetch(`${url}/health`)
      .then((r) => r.ok)
      .catch(() => false)
    if (healthy) break
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws/volunteer`,
    stateDir,
    output: () => output,
    stop,
    dispose: async () => {
      await stop()
      removeDir(stateDir)
    },
  }
}
