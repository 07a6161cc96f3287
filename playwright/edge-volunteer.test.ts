/**
 * A browser tab volunteers for the orchestrator on the edge exactly as for Node: the Worker serves
 * the PWA from its assets, the tab connects to /ws/volunteer, and runs jobs of two rooms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { roomOf } from '../edge/workers/room-routing'
import { api } from '../test/helpers/api'
import { startEdge, type EdgeProcess } from '../test/helpers/edge-process'
import { launchBrowser, openVolunteer, type Browser } from './fixtures'

const ROOMS = 4
let edge: EdgeProcess
let browser: Browser

beforeAll(async () => {
  edge = await startEdge({ rooms: ROOMS })
  browser = await launchBrowser()
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await edge?.dispose()
})

describe('the volunteer page on the edge', () => {
  it('connects from the page the Worker serves and runs jobs from more than one room', async () => {
    const { page } = await openVolunteer(browser.context, edge.url)
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true)
    const client = api(edge.url)
    const other = ['tab-a', 'tab-b', 'tab-c', 'tab-d'].find(
      (ns) => roomOf(ns, ROOMS) !== roomOf('default', ROOMS),
    )!
    const js = await client.run({ job_type: 'js', code: '[1, 2, 3].map((n) => n * n)' }, 30)
    expect(js).toMatchObject({ status: 'completed', result: [1, 4, 9] })
    const lua = await client.run({ job_type: 'lua', code: 'return 6 * 7', namespace: other }, 30)
    expect(lua).toMatchObject({ status: 'completed', result: 42 })
    expect(js.id.split('-')[0]).not.toBe(lua.id.split('-')[0])
  }, 60_000)
})
