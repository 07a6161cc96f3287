import { describe, expect, it } from 'vitest'
import { ProgressGate, type GuestProgress } from './progress-gate'

function gate(intervalMs = 250) {
  let clock = 0
  const sent: GuestProgress[] = []
  const g = new ProgressGate(
    (p) => sent.push(p),
    intervalMs,
    () => clock,
  )
  return { g, sent, at: (ms: number) => (clock = ms) }
}

describe('ProgressGate', () => {
  it('sends the first report at once and holds the rest of the interval, keeping only the latest', () => {
    const { g, sent, at } = gate()
    g.offer({ fraction: 0.1 })
    at(10)
    g.offer({ fraction: 0.2 })
    at(20)
    g.offer({ fraction: 0.3, message: 'latest' })
    expect(sent).toEqual([{ fraction: 0.1 }])
    g.flush()
    expect(sent).toEqual([{ fraction: 0.1 }, { fraction: 0.3, message: 'latest' }])
    g.flush()
    expect(sent).toHaveLength(2)
  })

  it('sends a report at once when the last one went out an interval ago', () => {
    const { g, sent, at } = gate()
    g.offer({ fraction: 0.1 })
    at(250)
    g.offer({ fraction: 0.2 })
    expect(sent.map((p) => p.fraction)).toEqual([0.1, 0.2])
    g.stop()
  })

  it('sends what it held when the interval is over, without being asked', async () => {
    const sent: GuestProgress[] = []
    const g = new ProgressGate((p) => sent.push(p), 5)
    g.offer({ fraction: 0.1 })
    g.offer({ fraction: 0.9, message: 'last word' })
    await new Promise<void>((resolve) => {
      const check = () => (sent.length === 2 ? resolve() : setTimeout(check, 5))
      check()
    })
    expect(sent[1]).toEqual({ fraction: 0.9, message: 'last word' })
  })

  it('never sends an older report after a newer one, when its timer is late', () => {
    // A busy event loop runs the hold timer late: a newer report can come after the interval
    // while an older one is still held.
    const { g, sent, at } = gate()
    g.offer({ fraction: 0.1 })
    at(100)
    g.offer({ fraction: 0.5 })
    at(300)
    g.offer({ fraction: 1, message: 'done' })
    g.flush()
    expect(sent.map((p) => p.fraction)).toEqual([0.1, 1])
  })

  it('forgets what it held once stopped', () => {
    const { g, sent } = gate()
    g.offer({ fraction: 0.1 })
    g.offer({ fraction: 0.2 })
    g.stop()
    g.flush()
    expect(sent).toEqual([{ fraction: 0.1 }])
  })
})
