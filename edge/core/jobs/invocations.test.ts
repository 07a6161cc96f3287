import { describe, expect, it } from 'vitest'
import { NO_DB } from '../kv/db-access'
import { InvocationTable, type InvocationDeps, type InvocationSpec } from './invocations'
import type { PendingEntry } from './lanes'

const spec: InvocationSpec = {
  runtime: 'js',
  namespace: 'alice',
  code: 'function handle() { return {body: "ok"} }',
  wasm_cid: null,
  timeout_ms: 30_000,
  request: { method: 'GET', path: '/', query: {}, headers: {}, body: null },
  executor: 'trusted',
  untrusted_db: NO_DB,
}

function table(overrides: Partial<InvocationDeps>) {
  const queued: PendingEntry[] = []
  const deps: InvocationDeps = {
    enqueue: (entry) => queued.push(entry),
    unqueue: (entry) =>
      queued.splice(
        queued.findIndex((e) => e.id === entry.id),
        1,
      ),
    canRun: () => false,
    graceMs: 1_000,
    ...overrides,
  }
  return { calls: new InvocationTable(deps), queued }
}

describe('function calls nobody here can run', () => {
  it('answers 503 NO_WORKER without queueing when the host has no volunteer to send', async () => {
    const asked: unknown[] = []
    const { calls, queued } = table({
      summon: async (work) => {
        asked.push(work)
        return false
      },
    })
    const outcome = await calls.invoke(spec)
    expect(outcome).toMatchObject({ ok: false, status: 503, code: 'NO_WORKER' })
    expect(asked).toEqual([{ runtime: 'js', namespace: 'alice', executor: 'trusted' }])
    expect(queued).toEqual([])
    expect(calls.size).toBe(0)
  })

  it('answers 503 NO_WORKER when asking the host fails', async () => {
    const { calls } = table({ summon: () => Promise.reject(new Error('balancer unreachable')) })
    expect(await calls.invoke(spec)).toMatchObject({ status: 503, code: 'NO_WORKER' })
  })

  it('answers 503 NO_WORKER at once on a host that cannot summon one', async () => {
    const { calls, queued } = table({})
    expect(await calls.invoke(spec)).toMatchObject({ status: 503, code: 'NO_WORKER' })
    expect(queued).toEqual([])
  })

  it('queues a call whose volunteer is on its way, and gives up on it when none came', async () => {
    const { calls, queued } = table({ summon: async () => true })
    let outcome: unknown
    const answered = calls.invoke(spec).then((o) => (outcome = o))
    await new Promise((r) => setTimeout(r, 0))
    expect(queued).toHaveLength(1)
    expect(outcome).toBeUndefined()
    calls.expire(Date.now() + 60_000)
    await answered
    expect(outcome).toMatchObject({ status: 503, code: 'NO_WORKER' })
    expect(queued).toEqual([])
  })

  it('does not ask the host when a volunteer here can run the call', async () => {
    let asked = false
    const { calls, queued } = table({
      canRun: () => true,
      summon: async () => (asked = true),
    })
    void calls.invoke(spec)
    expect(queued).toHaveLength(1)
    expect(asked).toBe(false)
  })
})
