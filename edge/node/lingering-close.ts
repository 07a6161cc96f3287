/**
 * A lingering close, as nginx's `lingering_close`: when the server closes a connection after an
 * answer (`Connection: close`, such as a 413 that left the body unread), it half-closes and gives
 * the client a moment before letting go. Closing at once with request bytes still unread makes
 * TCP send a reset, and the reset can destroy the answer before the client reads it: a client
 * that sent too large a body would see "connection reset" instead of its 413.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** Longest a closing connection is kept for the client to read the answer and hang up. */
const LINGER_MS = 2_000

export function lingerOnClose(server: Server, lingerMs = LINGER_MS): void {
  server.on('connection', (socket: Socket) => {
    let lingering = false
    // Node's HTTP server (and node-server, once it gives up draining a body) close a
    // connection after its last answer with destroySoon(): end, then destroy once flushed.
    socket.destroySoon = () => {
      if (lingering || socket.destroyed) return
      lingering = true
      socket.end()
      // Keep reading, so what the client still sends is taken and dropped.
      socket.resume()
      const timer = setTimeout(() => socket.destroy(), lingerMs)
      timer.unref()
      socket.once('close', () => clearTimeout(timer))
    }
  })
}
