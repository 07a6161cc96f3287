/**
 * At most `max` open WebSockets per client address, counted by the host (the Node server counts
 * sockets here; a Durable Object counts its own tagged sockets). A refused upgrade gets 429 before
 * anything is accepted.
 */
import { addressKey, isLoopback } from './client-address'

export class ConnectionCap {
  private readonly open = new Map<string, number>()

  constructor(
    readonly max: number,
    private readonly limitLoopback: boolean,
  ) {}

  /**
   * Counts a new connection from `address`; returns its release (call it once, when the socket
   * closes), or undefined when the address already holds `max`.
   */
  admit(address: string | undefined): (() => void) | undefined {
    if (!this.applies(address)) return () => {}
    const key = addressKey(address)
    const count = this.open.get(key) ?? 0
    if (count >= this.max) return undefined
    this.open.set(key, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.open.get(key) ?? 1) - 1
      if (left > 0) this.open.set(key, left)
      else this.open.delete(key)
    }
  }

  /** Open connections counted for `address`. */
  count(address: string): number {
    return this.open.get(addressKey(address)) ?? 0
  }

  /** Whether `address` is capped at all (not with max 0, nor loopback unless asked). */
  applies(address: string | undefined): address is string {
    return this.max > 0 && !!address && (this.limitLoopback || !isLoopback(address))
  }
}

/** The answer to an upgrade over the cap. */
export function tooManyConnections(max: number): Response {
  return Response.json(
    {
      error: `this address already has ${max} WebSocket connections open; close one first`,
      code: 'TOO_MANY_CONNECTIONS',
    },
    { status: 429 },
  )
}
