/**
 * Message-rate limits on both sockets, against the core in process with the default limits and one
 * honest volunteer: a flooding volunteer or upload socket is closed with 1008, and work goes on.
 * The per-address connection cap is the Node host's, in connection-cap.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEARTBEAT_FRAME } from '../../shared/protocol/frames'
import { json } from '../helpers/app-json'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let flooded: TestApp

beforeAll(async () => {
  flooded = await createTestApp({ volunteers: 1 })
  await idleVolunteers(flooded, 1)
})

afterAll(async () => {
  await flooded.close()
})

describe('WebSocket limits', () => {
  it('closes a flooding volunteer with 1008 while an honest worker keeps working', async () => {
    const flood = await flooded.scripted({ namespaces: ['nobody'] })
    for (let i = 0; i < 30_000; i++) flood.send(HEARTBEAT_FRAME)
    const closed = await flood.waitClosed(20_000)
    expect(closed.code).toBe(1008)
    expect(flood.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' })

    const batch = await json(flooded, 'POST', '/api/jobs/batch', {
      job_type: 'lua',
      code: 'return INPUT.n * 2',
      inputs: Array.from({ length: 50 }, (_, n) => ({ n })),
    })
    const summary = await json(flooded, 'GET', `/api/jobs/batch/${batch.body.batch_id}?wait=30`)
    expect(summary.body).toMatchObject({ done: true, completed: 50 })
    expect((await json(flooded, 'GET', '/stats')).body.volunteers.connected).toBe(1)
  })

  it('closes a flooding upload socket with 1008', async () => {
    const socket = await flooded.uploadSocket()
    const replies: string[] = []
    socket.onMessage((text) => replies.push(text))
    const closed = new Promise<number>((resolve) => socket.onClose(resolve))
    const resume = JSON.stringify({ type: 'FILE_UPLOAD_RESUME', payload: { session_id: 'none' } })
    for (let i = 0; i < 5_000; i++) socket.send(resume)
    expect(await closed).toBe(1008)
    expect(replies.some((r) => r.includes('"RATE_LIMITED"'))).toBe(true)
  })
})
