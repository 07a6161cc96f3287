/**
 * Internal workers' one hop: their frames reach the hub as objects over the worker host child's
 * IPC channel (no loopback WebSocket, no text, no schema), while an outside volunteer's WebSocket
 * frames are still parsed, and a malformed one is still refused.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { jsonLogger } from '../../edge/core/observability/logger'
import type { VolunteerSession } from '../../edge/core/volunteers/volunteer-session'
import { startServer, type RunningServer } from '../../edge/node/server'
import type { VolunteerFrame } from '../../shared/protocol/frames'
import { eventually } from '../helpers/eventually'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { removeDir, tempDir } from '../helpers/temp-dir'

let server: RunningServer
let dataDir: string
const texts: { session: VolunteerSession; text: string }[] = []
const objects: { session: VolunteerSession; frame: VolunteerFrame }[] = []

beforeAll(async () => {
  dataDir = tempDir()
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 1,
    logger: jsonLogger(() => {}, 'error'),
  })
  const hub = server.orchestrator.hub
  const receive = hub.receive.bind(hub)
  const receiveFrame = hub.receiveFrame.bind(hub)
  vi.spyOn(hub, 'receive').mockImplementation((session, text, now) => {
    texts.push({ session, text })
    return receive(session, text, now)
  })
  vi.spyOn(hub, 'receiveFrame').mockImplementation((session, frame, now) => {
    objects.push({ session, frame })
    return receiveFrame(session, frame, now)
  })
  await eventually(() => [...hub.connected].some((s) => s.agent?.kind === 'internal'))
})

afterAll(async () => {
  await server?.close()
  removeDir(dataDir)
})

describe('internal workers over their IPC link', () => {
  it('run a function with frames that reach the hub as objects, never as text', async () => {
    const deployed = await fetch(`${server.url}/api/deploy/alice/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        runtime: 'js',
        code: 'function handle(req) { return { status: 200, body: "hi " + req.query.name } }',
      }),
    })
    expect(deployed.status).toBeLessThan(300)
    const res = await fetch(`${server.url}/alice/hello?name=Ada`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('hi Ada')

    const result = objects.find((o) => o.frame.type === 'result')
    expect(result?.session.agent?.kind).toBe('internal')
    // The internal credential still made it a trusted executor, through the link's hello.
    expect(result?.session.trusted).toBe(true)
    expect(texts.filter((t) => t.session.agent?.kind === 'internal')).toEqual([])
  })

  it('still parses and refuses an outside volunteer’s malformed frame', async () => {
    const outsider = await ScriptedVolunteer.connect(
      `${server.url.replace('http', 'ws')}/ws/volunteer`,
    )
    outsider.send({ type: 'result', job_id: 'made-up', attempt: 'one', result: 1, output: '' })
    expect(await outsider.next('error')).toMatchObject({ code: 'BAD_FRAME' })
    outsider.send('not json at all')
    expect(await outsider.next('error')).toMatchObject({ code: 'BAD_FRAME' })
    const outsiderSessions = texts.map((t) => t.session).filter((s) => s.agent?.kind === 'node')
    expect(outsiderSessions.length).toBeGreaterThan(0)
    expect(objects.some((o) => o.session.agent?.kind === 'node')).toBe(false)
    // It offers js too: gone, so that the next calls go to the internal workers.
    outsider.close()
    await outsider.waitClosed()
  })

  it('closes the links of a worker host that died, and links again when it is back', async () => {
    const hub = server.orchestrator.hub
    const internal = () => [...hub.connected].filter((s) => s.agent?.kind === 'internal')
    const before = internal().map((s) => s.id)
    expect(before.length).toBe(1)
    const pid = workerHostPid()
    expect(pid).toBeDefined()
    process.kill(pid as number, 'SIGKILL')
    await eventually(() => internal().length === 1 && internal()[0]?.id !== before[0], 20_000)
    const res = await fetch(`${server.url}/alice/hello?name=again`)
    expect(await res.text()).toBe('hi again')
  })
})

/** This process's worker host child (the test's server is the only one it started). */
function workerHostPid(): number | undefined {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
  return children
    .trim()
    .split(/\s+/)
    .map(Number)
    .find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-host-process')
      } catch {
        return false
      }
    })
}
