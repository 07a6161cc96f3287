/**
 * The worker host's side of its links to the orchestrator that started it (internal workers):
 * each volunteer's connection is a FrameLink whose frames travel, as objects, over the child
 * process's IPC channel, gathered per event-loop turn (link-channel.ts). No loopback WebSocket, no
 * JSON text, no schema: both ends are the same program, and guests stay in this process.
 */
import type { OrchestratorFrame, VolunteerFrame } from '../../protocol/frames'
import type { FrameLink } from '../frame-link'
import { LinkOutbox, type ChildItem, type LinkBatch, type ParentItem } from './link-channel'

const CONNECTING = 0
const OPEN = 1
const CLOSED = 3

/** Every link of this child, and the one outbox they share towards the parent. */
export class ChildLinks {
  private readonly links = new Map<number, ChildLink>()
  private readonly outbox: LinkOutbox<ChildItem>
  private nextId = 1

  constructor(send: (batch: LinkBatch<ChildItem>) => void) {
    this.outbox = new LinkOutbox(send)
  }

  /** `connect` for a VolunteerAgent: a new link, open once the agent has set its handlers. */
  readonly connect = (): FrameLink => {
    const id = this.nextId++
    const link = new ChildLink(id, this.outbox, () => this.links.delete(id))
    this.links.set(id, link)
    this.outbox.push([id, 'open'])
    setImmediate(() => link.opened())
    return link
  }

  /** Items from the parent: frames for a link, or that the parent closed it. */
  receive(items: ParentItem[]): void {
    for (const item of items) {
      const link = this.links.get(item[0])
      if (!link) continue // closed here meanwhile: what the parent said of it no longer matters
      if (item[1] === 'close') link.closedBy(item[2], item[3])
      else if (item[1] !== 'open') link.onframe?.(item[1])
    }
  }

  /** Sends what is gathered now (before a report that must not overtake it). */
  flush(): void {
    this.outbox.flush()
  }
}

/** One volunteer's link: WebSocket-like states and events, frames as objects. */
class ChildLink implements FrameLink {
  readonly carriesFrames = true
  readyState = CONNECTING
  onopen: ((event: unknown) => void) | null = null
  onframe: ((frame: OrchestratorFrame) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null

  constructor(
    private readonly id: number,
    private readonly outbox: LinkOutbox<ChildItem>,
    private readonly forget: () => void,
  ) {}

  opened(): void {
    if (this.readyState !== CONNECTING) return
    this.readyState = OPEN
    this.onopen?.({})
  }

  send(frame: VolunteerFrame): void {
    if (this.readyState !== OPEN) throw new Error('the link is not open')
    this.outbox.push([this.id, frame])
  }

  /** Closed here: the parent is told; the close event follows, as a WebSocket's does. */
  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED) return
    this.outbox.push([this.id, 'close', code, reason])
    this.end(code, reason, true)
  }

  /** Closed by the orchestrator. */
  closedBy(code: number, reason: string): void {
    this.end(code, reason, false)
  }

  private end(code: number, reason: string, later: boolean): void {
    this.readyState = CLOSED
    this.forget()
    const fire = () => this.onclose?.({ code, reason })
    if (later) setImmediate(fire)
    else fire()
  }
}
