/** Starts the real `zerverless-runner` CLI against an orchestrator, and stops it by PID. */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { removeDir, tempDir } from './zerverless-process'

const BIN = path.resolve(import.meta.dirname, '../../runner/bin/zerverless-runner.js')

export interface RunnerProcess {
  dataDir: string
  child: ChildProcess
  /** The runner's lasting id, as GET /api/peers shows it. */
  peerId: string
  output: () => string
  stop(): Promise<number | null>
  exited: Promise<number | null>
}

/** Resolves once the runner says it is connected (or rejects with what it printed). */
export async function startRunner(
  orchestratorUrl: string,
  args: string[] = [],
  options: {
    dataDir?: string
    env?: NodeJS.ProcessEnv
    waitForConnection?: boolean
    /** Another copy of the runner's bin (an installed package), started from `cwd`. */
    bin?: string
    cwd?: string
  } = {},
): Promise<RunnerProcess> {
  const dataDir = options.dataDir ?? tempDir('zv-runner-')
  const child = spawn(
    process.execPath,
    [
      options.bin ?? BIN,
      '--orchestrator',
      orchestratorUrl,
      '--data-dir',
      dataDir,
      '--concurrency',
      '2',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env }, // an undefined value removes a variable
      ...(options.cwd && { cwd: options.cwd }),
    },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const pattern =
    options.waitForConnection === false ? /peer (\S+) \(/ : /connected to \S+ as peer (\S+)/
  const peerId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the runner did not connect:\n${output}`)),
      20_000,
    )
    const check = () => {
      const match = pattern.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    void exited.then((code) => reject(new Error(`the runner exited with ${code}:\n${output}`)))
  })
  return {
    dataDir,
    child,
    peerId,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, 'SIGKILL')
      const code = await exited
      return code
    },
  }
}

export async function stopRunner(runner: RunnerProcess | undefined): Promise<void> {
  if (!runner) return
  await runner.stop()
  removeDir(runner.dataDir)
}
