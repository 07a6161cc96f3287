/**
 * The mesh's callbacks into the core. One that throws is logged and stops neither the others nor
 * the node: libp2p calls these from event listeners, where a throw is an uncaught exception.
 */
import type { Logger } from '../../core/observability/logger'

export interface HandlerList<Args extends unknown[]> {
  add(handler: (...args: Args) => void): void
  /** Calls every handler; false when there is none or one threw. */
  call(...args: Args): boolean
}

/** `what` names the callbacks in the log line when one throws. */
export function handlerList<Args extends unknown[]>(
  what: string,
  logger?: Logger,
): HandlerList<Args> {
  const handlers: Array<(...args: Args) => void> = []
  return {
    add: (handler) => void handlers.push(handler),
    call(...args) {
      let ok = handlers.length > 0
      for (const handler of handlers) {
        try {
          handler(...args)
        } catch (err) {
          ok = false
          logger?.error(`federation: a ${what} handler threw`, { error: err })
        }
      }
      return ok
    },
  }
}
