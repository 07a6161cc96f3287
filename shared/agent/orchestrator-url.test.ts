import { describe, expect, it } from 'vitest'
import { orchestratorEndpoints } from './orchestrator-url'

const endpoints = (raw: string, role?: 'runner') => {
  const found = orchestratorEndpoints(raw, role && { role })
  if (!found.ok) throw new Error(found.error.message)
  return found.value
}

describe('orchestratorEndpoints', () => {
  it('fills in the volunteer path and the scheme', () => {
    for (const raw of ['host:8000', 'http://host:8000', 'ws://host:8000/', 'ws://host:8000'])
      expect(endpoints(raw)).toEqual({
        volunteerUrl: 'ws://host:8000/ws/volunteer',
        httpBase: 'http://host:8000',
        hostname: 'host',
      })
    expect(endpoints('https://zv.example.org')).toEqual({
      volunteerUrl: 'wss://zv.example.org/ws/volunteer',
      httpBase: 'https://zv.example.org',
      hostname: 'zv.example.org',
    })
  })

  it('keeps a path and query given, such as a token', () => {
    expect(endpoints('ws://host:8000/ws/volunteer?token=abc').volunteerUrl).toBe(
      'ws://host:8000/ws/volunteer?token=abc',
    )
  })

  it("asks for a runner's room with role=runner", () => {
    expect(endpoints('http://127.0.0.1:8000', 'runner')).toEqual({
      volunteerUrl: 'ws://127.0.0.1:8000/ws/volunteer?role=runner',
      httpBase: 'http://127.0.0.1:8000',
      hostname: '127.0.0.1',
    })
    expect(endpoints('wss://[::1]:8443/', 'runner').volunteerUrl).toBe(
      'wss://[::1]:8443/ws/volunteer?role=runner',
    )
  })

  it('says what is wrong with an address it cannot use', () => {
    expect(orchestratorEndpoints('http://[bad')).toEqual({
      ok: false,
      error: { code: 'INVALID_SETTING', message: "'http://[bad' is not a URL" },
    })
    const ftp = orchestratorEndpoints('ftp://host')
    expect(ftp.ok || ftp.error.message).toBe(
      "'ftp://host' is not an orchestrator's URL: use http, https, ws or wss",
    )
  })
})
