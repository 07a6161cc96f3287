/** The messages between a sandbox thread and its owner, and what the thread starts with (no side effects here). */
import type { HostCall } from '../../../shared/host-call'
import type { RunOutcome, RunRequest } from '../../../shared/runtime/runtime'

/** Bytes before the reply in a host buffer: three Int32 (ready, length, sequence) and padding. */
export const HOST_HEADER_BYTES = 16

export interface ThreadRequest {
  id: number
  request: RunRequest
  deadline: number
}

export interface ThreadInit {
  /** One Int32 the owner sets to STOP_SIGNAL at the deadline or on cancel. */
  stopFlag: SharedArrayBuffer
  /** Where the owner writes host-call replies: [ready, length, sequence] as Int32, then the bytes. */
  hostBuffer: SharedArrayBuffer
  stackBytes: number
  /** A Pyodide memory snapshot another thread made, so this one starts Python in ~0.2 s. */
  pythonSnapshot?: Uint8Array
}

/** What a thread says about its interpreter after each job, so the pool can route and recycle. */
export interface PythonState {
  owner: string | undefined
  heapBytes: number
  baseBytes: number
}

export type ThreadMessage =
  | { kind: 'done'; id: number; outcome: RunOutcome; python?: PythonState }
  | { kind: 'host-call'; id: number; sequence: number; call: HostCall }
  | { kind: 'python-snapshot'; bytes: Uint8Array }
