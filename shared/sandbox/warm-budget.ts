/**
 * The per-thread budget for warm function contexts: after each call a sandbox thread evicts the
 * least recently used contexts, starting with the runtime used least recently, until every
 * runtime's warm contexts together hold at most the budget.
 */
import type { GuestRuntime } from '../runtime/runtime'

/** The default budget per sandbox thread, in MiB (`--warm-budget-mb`). */
export const DEFAULT_WARM_BUDGET_MB = 64

export class WarmBudget {
  /** Runtimes that ran something, least recently used first. */
  private readonly order: GuestRuntime[] = []

  constructor(private readonly budgetBytes: number) {}

  /** Notes that `runtime` just ran a call or job. */
  used(runtime: GuestRuntime): void {
    const at = this.order.indexOf(runtime)
    if (at >= 0) this.order.splice(at, 1)
    this.order.push(runtime)
  }

  /** Evicts until the warm contexts of every runtime hold at most the budget. */
  enforce(): void {
    let total = 0
    for (const runtime of this.order) total += runtime.warmBytes?.() ?? 0
    for (const runtime of this.order) {
      if (total <= this.budgetBytes) return
      const held = runtime.warmBytes?.() ?? 0
      if (held === 0) continue
      runtime.dropWarm?.(Math.max(0, held - (total - this.budgetBytes)))
      total -= held - (runtime.warmBytes?.() ?? 0)
    }
  }
}
