/**
 * Fixtures shared by the native runner's tests: temporary directories and scripts, a runProcess
 * with test defaults, and stubborn scripts whose PIDs are killed after each test whatever happened.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { runProcess, type ProcessSpec } from './run-process'

const temps: string[] = []
/** PIDs a test saw, killed after it whatever happened, so a failing test leaves no daemon behind. */
const seen: number[] = []

/** For afterEach: kills every PID the test saw, then removes its temporary directories. */
export async function cleanUp(): Promise<void> {
  for (const pid of seen.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

/** A fresh directory under os.tmpdir(), readable by every user (mkdtemp makes it 0700). */
export async function tempDir(mode = 0o755): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zv-native-'))
  await chmod(dir, mode)
  temps.push(dir)
  return dir
}

/** Writes a /bin/sh script into its own directory and makes it executable. */
export async function script(body: string): Promise<string> {
  const file = path.join(await tempDir(), 'service.sh')
  await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return file
}

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

/**
 * Runs `executable` with sensible test defaults and checks it left no timer running; returns the
 * outcome and a reader for the output files.
 */
export async function run(executable: string, spec: Partial<ProcessSpec> = {}) {
  const outputDir = path.join(await tempDir(), 'out')
  const timersBefore = timers()
  const outcome = await runProcess({
    executable,
    arguments: [],
    environment: {},
    timeoutMs: 10_000,
    killGraceMs: 300,
    outputDir,
    ...spec,
  })
  expect(timers()).toBeLessThanOrEqual(timersBefore)
  const output = (name: 'stdout' | 'stderr' | 'logs') =>
    readFile(path.join(outputDir, `${name}.txt`), 'utf8')
  return { outcome, output, outputDir }
}

/** True once `pid` has exited. A zombie has exited too: it only waits for an init to reap it. */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
}

/**
 * A script that ignores SIGTERM, forks a child that ignores it too, and records both PIDs as the
 * host sees them (/proc/self/stat, which holds inside a PID namespace too) in $1.
 */
export const STUBBORN = `trap '' TERM
(read -r me _ < /proc/self/stat; echo "$me" >> "$1"; exec sleep 1000) &
read -r me _ < /proc/self/stat; echo "$me" >> "$1"
while [ "$(wc -l < "$1")" -lt 2 ]; do sleep 0.01; done
echo started
wait`

/** A script that leaves a child running when it exits, recording the child's host PID in $1. */
export const LEAVES_A_CHILD = `(read -r me _ < /proc/self/stat; echo "$me" >> "$1"; exec sleep 1000) &
while [ ! -s "$1" ]; do sleep 0.01; done`

/**
 * A service that daemonizes: it starts a child with setsid in a new session, which forks a
 * grandchild and exits (a double fork); each of them ignores SIGTERM and SIGHUP. Each appends its
 * PID as the host sees it to $1 (/proc/self/stat, which holds inside a PID namespace too).
 */
export const DAEMONIZING = `trap '' TERM HUP
read -r me _ < /proc/self/stat
echo "$me" >> "$1"
setsid -f /bin/sh -c '
  trap "" TERM HUP
  read -r me _ < /proc/self/stat
  echo "$me" >> "$1"
  (trap "" TERM HUP; read -r me _ < /proc/self/stat; echo "$me" >> "$1"; exec sleep 1000) &
' daemon "$1"
while [ "$(wc -l < "$1")" -lt 3 ]; do sleep 0.05; done
echo started
sleep 1000`

/** The PIDs a script recorded in `file`, remembered so that cleanUp() kills any left. */
export async function pidsFrom(file: string): Promise<number[]> {
  const pids = (await readFile(file, 'utf8')).trim().split(/\s+/).map(Number)
  seen.push(...pids)
  return pids
}
