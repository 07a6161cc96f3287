/**
 * Security: WebSocket abuse (oversized frames, floods, malformed frames, many sockets at once)
 * against the real CLI with auth on and one honest internal worker, whose jobs must all complete
 * while the abuse goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEARTBEAT_FRAME } from '../../shared/protocol/frames'
import { call, liveProcess, MiB, ok, type LiveTarget } from '../helpers/attack-target'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { UploadClient } from '../helpers/upload-client'

let t: LiveTarget

beforeAll(async () => {
  t = await liveProcess()
})

afterAll(async () => {
  await t?.stop()
})

describe('WebSocket abuse', () => {
  it('closes a socket that sends an oversized frame, and keeps serving', async () => {
    const volunteer = await ScriptedVolunteer.connect(t.wsUrl, { namespaces: ['nobody'] })
    volunteer.send('x'.repeat(16 * MiB + 1))
    expect((await volunteer.waitClosed()).code).toBe(1009)
    await ok(call(t.url, 'GET', '/health'))
    await t.honestBatch(5)
  })

  it('closes an upload socket that sends an oversized frame or floods messages', async () => {
    const big = await UploadClient.open(t.url, t.admin)
    big.send('x'.repeat(16 * MiB + 1))
    expect((await big.waitClosed()).code).toBe(1009)
    // Not even authenticated: its messages are answered, then dropped, then it is closed.
    const flood = await UploadClient.open(t.url)
    const honest = t.honestBatch(10)
    for (let i = 0; i < 20_000; i++) flood.send('{}')
    expect((await flood.waitClosed()).code).toBe(1008)
    await honest
    await ok(call(t.url, 'GET', '/health'))
  })

  it('closes a volunteer flooding frames with 1008 while an honest worker completes jobs', async () => {
    const flooder = await ScriptedVolunteer.connect(t.wsUrl, { namespaces: ['nobody'] })
    const honest = t.honestBatch(20)
    // Far past the per-socket message rate: heartbeats are the cheapest frame to answer.
    for (let i = 0; i < 50_000 && flooder.isOpen; i++) flooder.send(HEARTBEAT_FRAME)
    const closed = await flooder.waitClosed(15_000)
    expect(closed.code).toBe(1008)
    expect(flooder.frames.some((f) => f.type === 'error' && f.code === 'RATE_LIMITED')).toBe(true)
    await honest
  })

  it('closes a volunteer sending malformed frames with 1008 after a few', async () => {
    const junk = await ScriptedVolunteer.connect(t.wsUrl, { namespaces: ['nobody'] })
    const honest = t.honestBatch(10)
    for (let i = 0; i < 1000 && junk.isOpen; i++) junk.send(`{"type":"result","job_id":${i}`)
    expect((await junk.waitClosed(15_000)).code).toBe(1008)
    await honest
  })

  it('opens many sockets at once without losing the honest worker', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 50 }, () => ScriptedVolunteer.connect(t.wsUrl, false)),
    )
    await t.honestBatch(10)
    for (const socket of sockets) socket.close()
    await Promise.all(sockets.map((s) => s.waitClosed()))
    expect(t.output()).not.toMatch(/unhandled error/)
  })
})
