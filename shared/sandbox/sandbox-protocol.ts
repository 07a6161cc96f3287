/**
 * The messages between a sandbox thread (a Node worker_thread or a browser Web Worker) and the pool
 * that owns it, and what a thread starts with. Types only: no side effects here.
 */
import type { HostCall } from '../protocol/host-call'
import type { RunOutcome, RunRequest } from '../runtime/runtime'

/** Bytes before the reply in a host buffer: three Int32 (ready, length, sequence) and padding. */
export const HOST_HEADER_BYTES = 16

export interface ThreadRequest {
  id: number
  request: RunRequest
  deadline: number
}

export interface ThreadInit {
  /**
   * One Int32 the owner sets to STOP_SIGNAL at the deadline or on cancel. Absent where shared
   * memory is not allowed (a page without cross-origin isolation): the deadline still holds,
   * by the guest's own clock checks and by terminating the thread.
   */
  stopFlag?: SharedArrayBuffer
  /**
   * Where the owner writes host-call replies: [ready, length, sequence] as Int32, then the bytes.
   * Absent without shared memory, and then guests have no database.
   */
  hostBuffer?: SharedArrayBuffer
  stackBytes: number
  /** What warm function contexts may hold on this thread (see warm-budget.ts). */
  warmBudgetBytes?: number
  /** A Pyodide memory snapshot another thread made, so this one starts Python in ~0.2 s. */
  pythonSnapshot?: Uint8Array
}

/**
 * What a thread says about its interpreter after each job, so the pool can recycle it. Routing
 * never depends on what a thread says: the pool decides a thread's tenant when it dispatches.
 */
interface PythonState {
  heapBytes: number
  baseBytes: number
}

/** What a thread's runtimes hold after a job beyond their fresh state, so the pool can recycle it. */
export interface MemoryState {
  retainedBytes: number
}

export type DoneMessage = {
  kind: 'done'
  id: number
  outcome: RunOutcome
  python?: PythonState
  memory?: MemoryState
}

export type ThreadMessage =
  | DoneMessage
  | { kind: 'host-call'; id: number; sequence: number; call: HostCall }
  /** A guest's progress, checked in the thread; the owner checks it again. */
  | { kind: 'progress'; id: number; fraction: number; message?: string }
  | { kind: 'python-snapshot'; bytes: Uint8Array }

/** Shared memory when this realm may use it; undefined on a page without cross-origin isolation. */
export function sharedMemory(bytes: number): SharedArrayBuffer | undefined {
  if (typeof SharedArrayBuffer !== 'function') return undefined
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false)
    return undefined
  return new SharedArrayBuffer(bytes)
}
