import { describe, expect, it } from 'vitest'
import type { VolunteerFrame } from '../../protocol/frames'
import { ChildLinks } from './child-links'
import type { ChildItem, LinkBatch } from './link-channel'

const turn = () => new Promise((resolve) => setImmediate(resolve))
const heartbeat: VolunteerFrame = { type: 'heartbeat' }

function links() {
  const batches: LinkBatch<ChildItem>[] = []
  return { batches, links: new ChildLinks((batch) => batches.push(batch)) }
}

describe('ChildLinks', () => {
  it('opens a link after its handlers are set, and sends what a turn made as one batch', async () => {
    const { batches, links: all } = links()
    const link = all.connect()
    const events: string[] = []
    link.onopen = () => {
      events.push('open')
      link.send(heartbeat)
      link.send(heartbeat)
    }
    expect(link.readyState).toBe(0)
    await turn()
    await turn()
    expect(events).toEqual(['open'])
    expect(link.readyState).toBe(1)
    expect(batches).toEqual([
      { link: [[1, 'open']] },
      {
        link: [
          [1, heartbeat],
          [1, heartbeat],
        ],
      },
    ])
  })

  it('hands the orchestrator’s frames to their link, and closes it when told', async () => {
    const { links: all } = links()
    const first = all.connect()
    const second = all.connect()
    await turn()
    const heard: unknown[] = []
    first.onframe = (frame) => heard.push(['first', frame.type])
    second.onframe = (frame) => heard.push(['second', frame.type])
    let closed: { code: number; reason: string } | undefined
    second.onclose = (event) => (closed = event)
    all.receive([
      [2, { type: 'heartbeat_ack' }],
      [1, { type: 'drain' }],
      [2, 'close', 1008, 'policy'],
      [2, { type: 'heartbeat_ack' }],
    ])
    expect(heard).toEqual([
      ['second', 'heartbeat_ack'],
      ['first', 'drain'],
    ])
    expect(closed).toEqual({ code: 1008, reason: 'policy' })
    expect(second.readyState).toBe(3)
    expect(() => second.send(heartbeat)).toThrow()
  })

  it('tells the orchestrator of a close made here, and fires the close event after', async () => {
    const { batches, links: all } = links()
    const link = all.connect()
    await turn()
    let closed: { code: number; reason: string } | undefined
    link.onclose = (event) => (closed = event)
    link.close(1000, 'volunteer stopped')
    expect(closed).toBeUndefined()
    all.flush()
    expect(batches.at(-1)).toEqual({ link: [[1, 'close', 1000, 'volunteer stopped']] })
    await turn()
    expect(closed).toEqual({ code: 1000, reason: 'volunteer stopped' })
  })
})
