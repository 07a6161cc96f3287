/**
 * The per-address WebSocket cap on Node: an upgrade request from an address that already holds
 * the most sockets is answered 429 before `ws` accepts anything. A socket is counted from its
 * upgrade request until its TCP connection closes, which covers upgrades the app then refuses.
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { tooManyConnections, type ConnectionCap } from '../core/limits/connection-cap'

export function connectionGate(
  cap: ConnectionCap,
): (incoming: Pick<IncomingMessage, 'headers' | 'socket'>) => Response | undefined {
  const counted = new WeakSet<Socket>()
  return (incoming) => {
    if (incoming.headers.upgrade?.toLowerCase() !== 'websocket') return undefined
    const { socket } = incoming
    if (counted.has(socket)) return undefined
    const release = cap.admit(socket.remoteAddress)
    if (!release) return tooManyConnections(cap.max)
    counted.add(socket)
    socket.once('close', release)
    return undefined
  }
}
