/**
 * The orchestrator's end of its internal workers' links: each volunteer of the worker host child
 * is a hub session whose frames come and go as objects over the child's IPC channel, skipping the
 * loopback WebSocket, JSON text frames and the schema (the child runs our code; its guests cannot
 * write to the channel). Outside volunteers' WebSockets still go through `hub.receive`, parsed.
 */
import type { ChildItem, LinkBatch, ParentItem } from '../../shared/agent/node/link-channel'
import { LinkOutbox } from '../../shared/agent/node/link-channel'
import type { LinkPeer } from '../../shared/agent/node/worker-host-supervisor'
import type { OrchestratorFrame } from '../../shared/protocol/frames'
import type { VolunteerHub } from '../core/volunteers/volunteer-hub'
import type { VolunteerSession } from '../core/volunteers/volunteer-session'

/** Links of the current worker host child, by the id the child gave each. */
export class InternalLinks implements LinkPeer {
  private readonly sessions = new Map<number, VolunteerSession>()
  private outbox: LinkOutbox<ParentItem> | undefined

  constructor(private readonly hub: VolunteerHub) {}

  attach(send: (batch: LinkBatch<ParentItem>) => void): void {
    this.detach()
    this.outbox = new LinkOutbox(send)
  }

  receive(items: ChildItem[]): void {
    const now = Date.now()
    for (const item of items) {
      const id = item[0]
      if (item[1] === 'open') this.open(id, now)
      else if (item[1] === 'close') this.closed(id, now)
      else {
        const session = this.sessions.get(id)
        // A frame after we closed the link, in flight meanwhile: nobody is there to hear it.
        if (session) void this.hub.receiveFrame(session, item[1], now)
      }
    }
  }

  detach(): void {
    this.outbox?.clear()
    this.outbox = undefined
    const now = Date.now()
    for (const id of Array.from(this.sessions.keys())) this.closed(id, now)
  }

  private open(id: number, now: number): void {
    const outbox = this.outbox
    if (!outbox || this.sessions.has(id)) return
    const session = this.hub.connect(
      {
        sendFrame: (frame: OrchestratorFrame) => outbox.push([id, frame]),
        // Frames as objects (sendFrame) are all the hub sends a frame link.
        send: (text) => outbox.push([id, JSON.parse(text) as OrchestratorFrame]),
        close: (code, reason) => {
          if (this.sessions.get(id) !== session) return
          outbox.push([id, 'close', code, reason])
          // As a WebSocket's close event would, after the hub finished what it was doing.
          queueMicrotask(() => this.closed(id, Date.now()))
        },
      },
      now,
    )
    this.sessions.set(id, session)
  }

  private closed(id: number, now: number): void {
    const session = this.sessions.get(id)
    if (!session) return
    this.sessions.delete(id)
    this.hub.disconnect(session, now)
  }
}
