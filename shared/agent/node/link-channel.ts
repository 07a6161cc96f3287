/**
 * Internal workers' links to their orchestrator over the IPC channel of their child process: the
 * frames of every volunteer in the child, as objects, gathered into one message per event-loop
 * turn. One message per frame cost a pipe write and a read on each side per frame; gathered, a
 * loaded orchestrator writes once for all the jobs it dispatched in a turn.
 */
import type { OrchestratorFrame, VolunteerFrame } from '../../protocol/frames'

/**
 * What one link (volunteer `index` of the child) says: a frame, that it opened (child to parent),
 * or that it closed (either way; the other side then forgets it).
 */
type LinkItem<F> = [index: number, frame: F] | [index: number, 'open'] | LinkClose

type LinkClose = [index: number, 'close', code: number, reason: string]

/** The child's links speak volunteer frames, the parent's orchestrator frames. */
export type ChildItem = LinkItem<VolunteerFrame>
export type ParentItem = LinkItem<OrchestratorFrame>

/** A batch of items, in the order they were made. */
export interface LinkBatch<Item> {
  link: Item[]
}

/**
 * Gathers items and sends them as one batch at the end of the event-loop turn (setImmediate
 * runs after every I/O callback of the turn, so everything a turn produced goes together).
 * `flush` sends what is gathered now, for messages that must not overtake it.
 */
export class LinkOutbox<Item> {
  private items: Item[] = []
  private scheduled = false

  constructor(private readonly send: (batch: LinkBatch<Item>) => void) {}

  push(item: Item): void {
    this.items.push(item)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  flush(): void {
    this.scheduled = false
    if (this.items.length === 0) return
    const link = this.items
    this.items = []
    this.send({ link })
  }

  /** Drops what is gathered (the other side is gone). */
  clear(): void {
    this.items = []
  }
}

/** Whether an IPC message is a batch of link items rather than a command or a report. */
export function isLinkBatch<Item>(message: unknown): message is LinkBatch<Item> {
  return typeof message === 'object' && message !== null && 'link' in message
}
