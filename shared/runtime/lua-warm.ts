/**
 * A warm Lua state for one function version: its chunk run once and `handle` kept in the
 * registry, then called per request, so module-level state persists between calls of that version.
 * Each state has its own allocation account, so the per-job memory cap holds for each one and no
 * state's allocations count against another's.
 */
import type { RunRequest } from './runtime'
import type { WarmEntry } from './warm-cache'

/** What one lua_State may allocate, counted by the runtime's allocator. */
export interface LuaAccount {
  used: number
  cap: number
  /** Set when the allocator refused this state: it reached its cap. */
  refused: boolean
}

/** Failures after which the state is still sound: the guest's own errors and bad results. */
const KEEPS_STATE = new Set(['GUEST_ERROR', 'RESULT_NOT_JSON', 'RESULT_TOO_LARGE'])

export class WarmLuaState implements WarmEntry {
  constructor(
    readonly L: number,
    /** `handle`, in the registry. */
    readonly handlerRef: number,
    readonly account: LuaAccount,
    private readonly code: string,
    /** Stops counting the state: it is never entered again. */
    private readonly forget: () => void,
  ) {}

  /** True when this state was made for this code under this memory cap. */
  serves(request: RunRequest): boolean {
    return this.code === request.code && this.account.cap === request.memoryBytes
  }

  /** Whether the state may serve the next call after a call that failed with `code`, or none. */
  reusable(code: string | undefined): boolean {
    return !this.account.refused && (code === undefined || KEEPS_STATE.has(code))
  }

  bytes(): number {
    return this.account.used
  }

  /**
   * Let go without lua_close: closing runs the guest's `__gc` finalizers, which Lua runs with
   * hooks off, so one that never returned would hold the thread during whichever call came next,
   * perhaps another namespace's. The state's memory stays in the module, counted as retained,
   * and the pool replaces the thread when that grows too large.
   */
  release(): void {
    this.forget()
  }
}
