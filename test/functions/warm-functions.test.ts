/**
 * Warm function versions through the orchestrator: a call's job frame names the deployed version
 * (only to volunteers whose hello says they understand it), and a volunteer keeps one context per
 * version, so module-level state persists between calls of a version and no further.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

const COUNTERS = {
  js: 'let n = 0\nfunction handle(req) { n++; return { body: String(n) } }',
  lua: 'local n = 0\nfunction handle(req) n = n + 1 return { body = tostring(n) } end',
}

describe('warm function versions on one volunteer', () => {
  let server: TestApp
  beforeAll(async () => {
    server = await createTestApp({ volunteers: 1 })
    await idleVolunteers(server, 1)
  })
  afterAll(() => server.close())

  const deploy = async (target: string, body: Record<string, unknown>) => {
    const res = await server.api.post(`/api/deploy/${target}`, body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
  }
  const text = async (path: string) => (await server.fetch(path)).text()

  it.each(['js', 'lua'] as const)(
    '%s: state lives on within a version; a new version, a rollback and another namespace have their own',
    async (runtime) => {
      const code = COUNTERS[runtime]
      await deploy(`alice/${runtime}-count`, { runtime, code })
      expect(await text(`/alice/${runtime}-count`)).toBe('1')
      expect(await text(`/alice/${runtime}-count`)).toBe('2')
      // Version 2, the same code: a context of its own.
      await deploy(`alice/${runtime}-count`, { runtime, code })
      expect(await text(`/alice/${runtime}-count`)).toBe('1')
      // Back to version 1, whose context is still warm.
      expect(
        (await server.api.post(`/api/deploy/alice/${runtime}-count/rollback`, {})).status,
      ).toBe(200)
      expect(await text(`/alice/${runtime}-count`)).toBe('3')
      // The same code and path in another namespace.
      await deploy(`bob/${runtime}-count`, { runtime, code })
      expect(await text(`/bob/${runtime}-count`)).toBe('1')
      // Deleted and deployed again: version 1 once more, but a new deployment (deployed_at is in
      // milliseconds, so a later one).
      expect((await server.api.delete(`/api/deploy/bob/${runtime}-count`)).status).toBe(204)
      await new Promise((resolve) => setTimeout(resolve, 5))
      await deploy(`bob/${runtime}-count`, { runtime, code })
      expect(await text(`/bob/${runtime}-count`)).toBe('1')
    },
  )
})

describe('the version in job frames', () => {
  let server: TestApp
  beforeAll(async () => {
    server = await createTestApp({ volunteers: 0 })
    const res = await server.api.post('/api/deploy/carol/fn', {
      runtime: 'js',
      code: 'function handle() { return "hi" }',
      executor: 'any',
    })
    expect(res.status).toBe(201)
  })
  afterAll(() => server.close())

  it('goes only to volunteers that said warm in their hello', async () => {
    const old = await server.scripted({ runtimes: ['js'], concurrency: 1 })
    const answered = server.fetch('/carol/fn')
    const job = await old.next('job')
    expect(job.mode).toBe('function')
    expect(job).not.toHaveProperty('function')
    old.complete(job, { body: 'old' })
    expect(await (await answered).text()).toBe('old')
    old.close()

    const warm = await server.scripted({ runtimes: ['js'], concurrency: 1, warm: true })
    const again = server.fetch('/carol/fn')
    const next = await warm.next('job')
    expect(next.function).toEqual({ path: '/fn', version: 1, deployed_at: expect.any(Number) })
    warm.complete(next, { body: 'warm' })
    expect(await (await again).text()).toBe('warm')
  })
})
