/**
 * A volunteer's link that carries frames as objects, for an agent and an orchestrator that trust
 * each other's code (internal workers and the process that started them): nothing is encoded to
 * JSON text or schema-checked on the way, which a WebSocket from outside always is.
 */
import type { OrchestratorFrame, VolunteerFrame } from '../protocol/frames'

/** Shaped like SocketLike (readyState, close, the open and close events), but frames are objects. */
export interface FrameLink {
  /** Tells it from a socket: frames go as they are. */
  readonly carriesFrames: true
  readonly readyState: number
  send(frame: VolunteerFrame): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  /** A frame from the orchestrator, as its own code made it. */
  onframe: ((frame: OrchestratorFrame) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
}

/** Whether what `connect` gave is a frame link rather than a socket of text. */
export function isFrameLink(link: object): link is FrameLink {
  return (link as Partial<FrameLink>).carriesFrames === true
}
