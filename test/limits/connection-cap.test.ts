/**
 * The Node host's per-address cap on WebSocket connections, loopback included (`--limit-loopback`),
 * against the real CLI: the upgrade is refused with 429 before the app sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { eventually } from '../helpers/eventually'
import { removeDir } from '../helpers/temp-dir'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

/** At most 3 WebSockets per address, loopback included; no rate limit. */
let capped: ZerverlessProcess

beforeAll(async () => {
  capped = await startZerverless([
    '--workers',
    '0',
    '--limit-loopback',
    '--rate-limit',
    '0',
    '--max-connections-per-ip',
    '3',
  ])
})

afterAll(async () => {
  expect(await capped.stop()).toBe(0)
  removeDir(capped.dataDir)
})

describe('WebSocket limits', () => {
  it('refuses connections past the per-address cap with 429, and admits again after one closes', async () => {
    const open = async () => {
      const socket = new WebSocket(capped.wsUrl)
      return new Promise<WebSocket | number>((resolve, reject) => {
        socket.once('open', () => resolve(socket))
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        socket.once('error', reject)
      })
    }
    const sockets = [await open(), await open(), await open()]
    expect(sockets.every((s) => s instanceof WebSocket)).toBe(true)
    expect(await open()).toBe(429)
    const upload = new WebSocket(`${capped.url.replace('http', 'ws')}/ws/upload`)
    const uploadStatus = await new Promise<number>((resolve) =>
      upload.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    )
    expect(uploadStatus).toBe(429)

    const first = sockets[0] as WebSocket
    first.close()
    await new Promise((r) => first.once('close', r))
    const again = await eventually(async () => {
      const socket = await open()
      return socket instanceof WebSocket ? socket : undefined
    })
    for (const socket of [...sockets.slice(1), again]) (socket as WebSocket).close()
  })
})
