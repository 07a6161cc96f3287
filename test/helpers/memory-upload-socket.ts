/**
 * A `/ws/upload` socket to the core's upload sessions inside the test's own process, wired as the
 * Node host wires its WebSocket: each message to `connection.receive`, its replies back in order,
 * and a close (1008) when the connection says so.
 */
import type { UploadConnection } from '../../edge/core/services/upload-connection'
import type { BrowserStyleSocket } from './frame-socket'

const OPEN = 1
const CLOSING = 2
const CLOSED = 3

export class MemoryUploadSocket implements BrowserStyleSocket {
  readyState = 0
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  private connection: UploadConnection | undefined
  /** Replies leave in the order their messages came, as one socket's sends would. */
  private replies: Promise<void> = Promise.resolve()

  /** `connection`: undefined where the host keeps no uploads (the socket then closes with 1011). */
  constructor(connection: Promise<UploadConnection | undefined>) {
    void connection.then((ready) => {
      this.connection = ready
      this.readyState = OPEN
      this.onopen?.({})
    })
  }

  send(text: string): void {
    if (this.readyState !== OPEN) return
    const connection = this.connection
    if (!connection) return this.end(1011, 'uploads are not available')
    const reply = connection.receive(text)
    this.replies = this.replies.then(async () => {
      const { replies, close, reason } = await reply
      for (const each of replies) this.deliver(each)
      if (close) this.end(1008, reason ?? 'unauthorized')
    })
  }

  close(code = 1005, reason = ''): void {
    this.end(code, reason)
  }

  terminate(): void {
    this.end(1006, '')
  }

  private deliver(text: string): void {
    if (this.readyState !== OPEN) return
    setImmediate(() => this.onmessage?.({ data: text }))
  }

  private end(code: number, reason: string): void {
    if (this.readyState >= CLOSING) return
    this.readyState = CLOSING
    setImmediate(() => {
      this.readyState = CLOSED
      this.onclose?.({ code, reason })
    })
  }
}
