/**
 * A volunteer's socket to the core's `VolunteerHub` inside the test's own process: frames cross
 * one event-loop turn later (in order, like a socket) instead of over TCP, and either side can close.
 */
import type { ConnectInfo, VolunteerHub } from '../../edge/core/volunteers/volunteer-hub'
import type { VolunteerSession } from '../../edge/core/volunteers/volunteer-session'
import type { SocketLike } from '../../shared/agent/volunteer-agent'

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** The close codes `ws` reports when a peer closes without a code, or vanishes. */
const NO_STATUS = 1005
const ABNORMAL = 1006

/**
 * The client's end, shaped like the browser WebSocket the `VolunteerAgent` expects. The hub sees
 * `connect` when it opens, every frame through `receive`, and `disconnect` once either side closed.
 */
export class MemorySocket implements SocketLike {
  readyState = CONNECTING
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  private session: VolunteerSession | undefined

  constructor(
    private readonly hub: VolunteerHub,
    info: ConnectInfo = {},
  ) {
    // Opened on the next turn, so that whoever made it can set its handlers first.
    setImmediate(() => {
      if (this.readyState !== CONNECTING) return
      this.session = hub.connect(
        { send: (text) => this.fromServer(text), close: (code, reason) => this.end(code, reason) },
        Date.now(),
        info,
      )
      this.readyState = OPEN
      this.onopen?.({})
    })
  }

  send(text: string): void {
    if (this.readyState !== OPEN) return
    setImmediate(() => {
      // Frames still in flight when the server closed are dropped, as a closing socket drops them.
      if (this.session && this.readyState === OPEN) void this.hub.receive(this.session, text)
    })
  }

  /** Closes from the client's side; `code` omitted is 1005, as `ws` reports it. */
  close(code = NO_STATUS, reason = ''): void {
    if (this.readyState >= CLOSING) return
    if (this.readyState === CONNECTING) {
      this.readyState = CLOSED
      setImmediate(() => this.onclose?.({ code: ABNORMAL, reason: '' }))
      return
    }
    this.end(code, reason)
  }

  /** The connection is cut: no closing handshake. */
  terminate(): void {
    this.close(ABNORMAL)
  }

  /** What the server sends once either side has closed is dropped, as `ws` drops it. */
  private fromServer(text: string): void {
    if (this.readyState !== OPEN) return
    setImmediate(() => {
      if (this.readyState === OPEN || this.readyState === CLOSING) this.onmessage?.({ data: text })
    })
  }

  /** Either side closed: frames sent before arrive first, then both ends learn of the close. */
  private end(code: number, reason: string): void {
    if (this.readyState >= CLOSING) return
    this.readyState = CLOSING
    setImmediate(() => {
      this.readyState = CLOSED
      if (this.session) this.hub.disconnect(this.session)
      this.onclose?.({ code, reason })
    })
  }
}
