/** Opens an agent's socket in Node: `ws`, whose WebSocket is the browser's in all the agent uses. */
import WebSocket from 'ws'
import type { SocketLike } from '../agent-ports'

/** Frames larger than this close the socket; a job frame carries its wasm module inline. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024

/** `connect` for a VolunteerAgent running in Node. */
export function nodeSocket(url: string): SocketLike {
  // ws's event objects carry more than SocketLike reads; its handler properties accept ours.
  return new WebSocket(url, { maxPayload: MAX_PAYLOAD_BYTES }) as unknown as SocketLike
}
