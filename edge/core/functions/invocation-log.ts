/**
 * Every call of each function, kept in memory: a fixed-size ring per function, so recording a call
 * costs an array write on the hot path (no SQLite write per call) and the history stays bounded.
 * Like the printed lines, it does not outlive a restart.
 */

/** One finished call, as `GET /api/deploy/{user}/{path}/logs` shows it. */
export interface InvocationRecord {
  /** When the call ended (ISO 8601). */
  time: string
  /** The HTTP status the caller got (the handler's own, or the orchestrator's on failure). */
  status: number
  /** From the request's arrival at the orchestrator to its answer, queueing included. */
  duration_ms: number
  /** The version that answered. */
  version: number
  /** Why the call failed, when it did: the code the caller got and the guest's error. */
  error?: InvocationError
}

/** A call as kept: its end as a number, formatted only when someone reads the log. */
export type KeptCall = Omit<InvocationRecord, 'time'> & { at: number }

export interface InvocationError {
  code: string
  message: string
  line?: number
}

/** Longest error message kept (characters): a guest chooses what it throws. */
export const MAX_ERROR_MESSAGE = 2048

/** A ring of the last `size` records, oldest overwritten first. */
class Ring {
  private readonly slots: KeptCall[] = []
  private next = 0

  constructor(private readonly size: number) {}

  push(record: KeptCall): void {
    if (this.slots.length < this.size) this.slots.push(record)
    else this.slots[this.next] = record
    this.next = (this.next + 1) % this.size
  }

  /** The last `count` records, newest first. */
  newest(count: number): InvocationRecord[] {
    const out: InvocationRecord[] = []
    const n = Math.min(count, this.slots.length)
    for (let i = 1; i <= n; i++) {
      const slot = (this.next - i + this.slots.length) % this.slots.length
      const { at, ...call } = this.slots[slot] as KeptCall
      out.push({ time: new Date(at).toISOString(), ...call })
    }
    return out
  }
}

/** The last `keep` calls of each function. */
export class InvocationLog {
  private readonly rings = new Map<string, Ring>()

  constructor(readonly keep = 500) {}

  record(user: string, path: string, record: KeptCall): void {
    const key = `${user}${path}`
    let ring = this.rings.get(key)
    if (!ring) this.rings.set(key, (ring = new Ring(this.keep)))
    const error = record.error
    ring.push(
      error && error.message.length > MAX_ERROR_MESSAGE
        ? {
            ...record,
            error: { ...error, message: `${error.message.slice(0, MAX_ERROR_MESSAGE)}…` },
          }
        : record,
    )
  }

  /** The last `count` calls of `/{user}{path}`, newest first. */
  recent(user: string, path: string, count: number): InvocationRecord[] {
    return this.rings.get(`${user}${path}`)?.newest(count) ?? []
  }

  clear(user: string, path: string): void {
    this.rings.delete(`${user}${path}`)
  }
}
