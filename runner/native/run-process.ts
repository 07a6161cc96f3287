/**
 * Runs one native executable to completion for a standalone service: no shell, held in a process
 * tree (a cgroup, a PID namespace or its process group; see process-tree.ts), output streamed to
 * capped files, and the whole tree stopped on timeout or cancel.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { CappedFile, pipeCapped } from './capped-file'
import { defaultContainment } from './containment'
import type { Launch } from './launch'
import { prepareLaunch } from './prepare-launch'
import {
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_OUTPUT_BYTES,
  type ProcessOutcome,
  type ProcessSpec,
  type StartFailure,
} from './process-spec'
import type { ProcessTree } from './process-tree'

export type { ProcessOutcome, ProcessSpec } from './process-spec'

/** Node fires longer timers at once (TimeoutOverflowWarning), so limits are clamped to this. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** How long to wait for stdout/stderr to close once the tree is gone (a process outside may hold them). */
const STDIO_DRAIN_MS = 2000

interface Ended {
  ok: true
  status: 'exited' | 'timeout' | 'cancelled'
  exitCode: number | null
  signal: NodeJS.Signals | null
}

interface OutputFiles {
  stdout: CappedFile
  stderr: CappedFile
  logs: CappedFile
}

/**
 * Runs `spec` and reports how it ended; never rejects for process problems. stdout.txt,
 * stderr.txt and logs.txt (a line naming the process tree, both streams in arrival order, then a
 * closing status line) are written to `spec.outputDir` even when the process never starts. On
 * timeout or cancel every process of the tree gets SIGTERM, then SIGKILL after `killGraceMs`;
 * processes the executable leaves behind in its tree when it exits are stopped the same way.
 * Resolves once the executable has exited and its tree has been stopped, with no timers left.
 */
export async function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  let startedAt = performance.now()
  try {
    await mkdir(spec.outputDir, { recursive: true, mode: 0o755 })
  } catch (error) {
    const message = `cannot create output directory ${spec.outputDir}: ${(error as Error).message}`
    return notStarted({ ok: false, status: 'failed_to_start', message }, startedAt)
  }
  const cap = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
  const file = (name: string) => new CappedFile(path.join(spec.outputDir, name), cap)
  const files: OutputFiles = {
    stdout: file('stdout.txt'),
    stderr: file('stderr.txt'),
    logs: file('logs.txt'),
  }
  const close = (line: string) =>
    Promise.all([files.stdout.close(), files.stderr.close(), files.logs.close(line)])

  const prepared = spec.signal?.aborted ? cancelled() : await prepareLaunch(spec)
  const launch = prepared.ok && spec.signal?.aborted ? cancelled() : prepared
  if (!launch.ok) {
    await close(`[${launch.message}]`)
    return notStarted(launch, startedAt)
  }

  let tree: ProcessTree
  try {
    tree = await (spec.containment ?? (await defaultContainment())).open()
  } catch (error) {
    const message = `cannot hold the process tree: ${(error as Error).message}`
    await close(`[${message}]`)
    return notStarted({ ok: false, status: 'failed_to_start', message }, startedAt)
  }
  startedAt = performance.now()
  const ended = await supervise(launch.launch, tree, spec, files).finally(() => tree.release())
  const durationMs = performance.now() - startedAt
  if (!ended.ok) {
    await close(`[${ended.message}]`)
    return notStarted(ended, startedAt)
  }
  const { message, logLine } = describeEnd(ended, durationMs, spec.timeoutMs)
  await close(logLine)
  return {
    status: ended.status,
    exitCode: ended.exitCode,
    signal: ended.signal,
    durationMs,
    stdoutBytes: files.stdout.bytes,
    stderrBytes: files.stderr.bytes,
    truncated: files.stdout.truncated || files.stderr.truncated,
    message,
    containment: tree.kind,
  }
}

/** Spawns the launch inside `tree` and watches it until it and the rest of the tree are done. */
async function supervise(
  plain: Launch,
  tree: ProcessTree,
  spec: ProcessSpec,
  files: OutputFiles,
): Promise<Ended | StartFailure> {
  const launch = tree.wrap(plain)
  let child: ChildProcess
  // A stdin file is the process's own descriptor: it reads at its pace, however large the file.
  let stdinFile: FileHandle | undefined
  try {
    if (spec.stdinFile !== undefined) stdinFile = await open(spec.stdinFile, 'r')
  } catch (error) {
    const message = `cannot open the stdin file: ${(error as Error).message}`
    return { ok: false, status: 'failed_to_start', message }
  }
  try {
    child = spawn(launch.command, launch.args, {
      shell: false,
      detached: true, // setsid(): its own session and group, away from the runner's terminal
      cwd: launch.cwd,
      env: launch.env,
      stdio: [stdinFile?.fd ?? (spec.stdin === undefined ? 'ignore' : 'pipe'), 'pipe', 'pipe'],
    })
  } catch (error) {
    await stdinFile?.close()
    return spawnFailure(error as NodeJS.ErrnoException, spec.executable)
  }
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  )
  const spawnError = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null))
    child.once('error', resolve)
  })
  await stdinFile?.close() // the child holds its own copy
  if (spawnError) return spawnFailure(spawnError, spec.executable)
  tree.started(child.pid!)
  files.logs.write(Buffer.from(`[process tree: ${tree.description}]\n`))

  const output = Promise.all([
    pipeCapped(child.stdout!, [files.stdout, files.logs]),
    pipeCapped(child.stderr!, [files.stderr, files.logs]),
  ])
  if (child.stdin) {
    child.stdin.on('error', () => {}) // EPIPE when the process exits without reading its input
    child.stdin.end(spec.stdin)
  }

  const grace = Math.min(spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS, MAX_TIMER_MS)
  const state: { status: Ended['status']; stopping: Promise<void> | null } = {
    status: 'exited',
    stopping: null,
  }
  const running = () => child.exitCode === null && child.signalCode === null
  const stop = (status: 'timeout' | 'cancelled') => {
    if (state.stopping) return
    state.status = status
    // The spawned process itself is our child: if the tree missed it (it had not entered its
    // cgroup yet), it is killed by its PID, which stays its own until we see it exit.
    state.stopping = tree.stop(grace).then(() => {
      if (running()) child.kill('SIGKILL')
    })
  }
  const timer = setTimeout(() => stop('timeout'), Math.min(spec.timeoutMs, MAX_TIMER_MS))
  const onAbort = () => stop('cancelled')
  spec.signal?.addEventListener('abort', onAbort, { once: true })

  const [exitCode, signal] = await exited
  tree.exited()
  clearTimeout(timer)
  spec.signal?.removeEventListener('abort', onAbort)
  if (state.stopping) await state.stopping
  if (await tree.alive()) await tree.stop(grace) // what it left behind

  const drainWait = new AbortController()
  const closed = await Promise.race([
    output.then(() => true),
    delay(STDIO_DRAIN_MS, false, { signal: drainWait.signal }).catch(() => false),
  ])
  drainWait.abort()
  if (!closed) {
    child.stdout!.destroy()
    child.stderr!.destroy()
    await output
  }
  return { ok: true, status: state.status, exitCode, signal }
}

function spawnFailure(error: NodeJS.ErrnoException, executable: string): StartFailure {
  if (error.code === 'ENOENT') {
    return { ok: false, status: 'not_found', message: `executable not found: ${executable}` }
  }
  const message =
    error.code === 'EACCES'
      ? `permission denied: ${executable}`
      : `failed to start process: ${error.message}`
  return { ok: false, status: 'failed_to_start', message }
}

function describeEnd(ended: Ended, durationMs: number, timeoutMs: number) {
  const took = seconds(durationMs)
  switch (ended.status) {
    case 'timeout': {
      const limit = seconds(timeoutMs)
      return {
        message: `Process execution timed out after ${limit} s`,
        logLine: `[timed out after ${limit} s]`,
      }
    }
    case 'cancelled':
      return { message: 'Process was cancelled', logLine: `[cancelled after ${took} s]` }
    case 'exited':
      if (ended.exitCode === null) {
        return {
          message: `Process was killed by signal ${ended.signal}`,
          logLine: `[killed by ${ended.signal} after ${took} s]`,
        }
      }
      return {
        message: `Process exited with code ${ended.exitCode}`,
        logLine: `[exit code ${ended.exitCode} after ${took} s]`,
      }
  }
}

function notStarted(
  failure: StartFailure | CancelledBeforeStart,
  startedAt: number,
): ProcessOutcome {
  return {
    status: failure.status,
    exitCode: failure.status === 'not_found' ? 127 : null,
    signal: null,
    durationMs: performance.now() - startedAt,
    stdoutBytes: 0,
    stderrBytes: 0,
    truncated: false,
    message: failure.message,
  }
}

interface CancelledBeforeStart {
  ok: false
  status: 'cancelled'
  message: string
}

function cancelled(): CancelledBeforeStart {
  return { ok: false, status: 'cancelled', message: 'Process was cancelled' }
}

/** 2000 → '2', 1234 → '1.2', 300 → '0.3', 45 → '0.045'. */
function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(ms < 1000 ? 3 : 1)))
}
