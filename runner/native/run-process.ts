/**
 * Runs one native executable to completion for a standalone service: no shell, its own process
 * group, output streamed to capped files, and the whole group stopped on timeout or cancel.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { CappedFile, pipeCapped } from './capped-file'
import { prepareLaunch, type Launch } from './prepare-launch'
import {
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_OUTPUT_BYTES,
  type ProcessOutcome,
  type ProcessSpec,
  type StartFailure,
} from './process-spec'
import { isGroupAlive, stopGroup } from './stop-group'

export type { ProcessOutcome, ProcessSpec } from './process-spec'

/** Node fires longer timers at once (TimeoutOverflowWarning), so limits are clamped to this. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** How long to wait for stdout/stderr to close once the group is gone (an escaped daemon may hold them). */
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
 * stderr.txt and logs.txt (both streams in arrival order plus a closing status line) are written
 * to `spec.outputDir` even when the process never starts. On timeout or cancel the process group
 * gets SIGTERM, then SIGKILL after `killGraceMs`; processes the executable leaves behind in its
 * group when it exits are stopped the same way. Resolves once the executable has exited and its
 * group has been signalled, with no timers left behind.
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

  startedAt = performance.now()
  const ended = await supervise(launch.launch, spec, files)
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
  }
}

/** Spawns the launch in its own process group and watches it until it and its group are done. */
async function supervise(
  launch: Launch,
  spec: ProcessSpec,
  files: OutputFiles,
): Promise<Ended | StartFailure> {
  let child: ChildProcess
  try {
    child = spawn(launch.command, launch.args, {
      shell: false,
      detached: true, // setsid(): the child leads a new process group we can signal as a whole
      cwd: launch.cwd,
      env: launch.env,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
  } catch (error) {
    return spawnFailure(error as NodeJS.ErrnoException, spec.executable)
  }
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  )
  const spawnError = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null))
    child.once('error', resolve)
  })
  if (spawnError) return spawnFailure(spawnError, spec.executable)
  const pgid = child.pid!

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
  const stop = (status: 'timeout' | 'cancelled') => {
    if (state.stopping) return
    state.status = status
    state.stopping = stopGroup(pgid, grace)
  }
  const timer = setTimeout(() => stop('timeout'), Math.min(spec.timeoutMs, MAX_TIMER_MS))
  const onAbort = () => stop('cancelled')
  spec.signal?.addEventListener('abort', onAbort, { once: true })

  const [exitCode, signal] = await exited
  clearTimeout(timer)
  spec.signal?.removeEventListener('abort', onAbort)
  if (state.stopping) await state.stopping
  else if (await isGroupAlive(pgid)) await stopGroup(pgid, grace) // what it left behind

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
