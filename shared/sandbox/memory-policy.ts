/**
 * What the sandbox pool does about memory. A thread that died of its heap limit ran out of memory
 * because of its job: that is the job's OUT_OF_MEMORY, not a crash of the volunteer to retry
 * elsewhere. And a thread whose runtimes grew is replaced after its job, because wasm memories
 * never shrink and a job's garbage waits for a collection that an idle thread never runs: only a
 * new thread gives the memory back.
 */
import type { JobError, Runtime } from '../protocol/job'
import { MEMORY_SIGNAL } from '../runtime/python-js-budget'
import type { GuestRuntime, RunOutcome } from '../runtime/runtime'
import type { DoneMessage, MemoryState } from './sandbox-protocol'

/** A thread that holds more than this beyond its fresh state after a job is replaced. */
const RETAINED_SLACK_BYTES = 64 * 1024 * 1024

/** Why a thread died, when the host can tell: `memory` is its heap limit (or a cap it enforces). */
export type CrashCause = 'memory'

export function crashError(why: string, cause: CrashCause | undefined): JobError {
  if (cause === 'memory') {
    return {
      code: 'OUT_OF_MEMORY',
      message: `the job ran its sandbox thread out of memory (${why})`,
    }
  }
  return { code: 'WORKER_CRASHED', message: `the sandbox thread died: ${why}` }
}

/** How often the pool looks at a running job's stop flag for MEMORY_SIGNAL. */
const MEMORY_FLAG_POLL_MS = 50

/**
 * Watches a running job's stop flag: a Python job past its JS budget flags itself there
 * (python-js-budget.ts), and a guest that catches the interrupts it then gets would not stop,
 * so `kill` takes its thread away. Returns the timer, for the job's other timers.
 */
export function watchMemoryFlag(
  flag: Int32Array,
  kill: (outcome: RunOutcome) => void,
  started: number,
): ReturnType<typeof setInterval> {
  return setInterval(() => {
    if (Atomics.load(flag, 0) !== MEMORY_SIGNAL) return
    kill({
      ok: false,
      error: {
        code: 'OUT_OF_MEMORY',
        message: 'MemoryError: the job kept more JavaScript values than its memory cap allows',
      },
      output: '',
      durationMs: Date.now() - started,
    })
  }, MEMORY_FLAG_POLL_MS)
}

/** True when the thread that sent `done` should be replaced to give memory back. */
export function outgrew(done: DoneMessage): boolean {
  return (done.memory?.retainedBytes ?? 0) > RETAINED_SLACK_BYTES
}

/** Thread side: what its runtimes and its Python interpreter hold beyond their fresh state. */
export function memoryState(
  runtimes: Partial<Record<Runtime, GuestRuntime>>,
  python: { heapBytes: number; baseBytes: number } | undefined,
): MemoryState {
  let retainedBytes = python ? Math.max(0, python.heapBytes - python.baseBytes) : 0
  for (const runtime of Object.values(runtimes)) retainedBytes += runtime.retainedBytes?.() ?? 0
  return { retainedBytes }
}
