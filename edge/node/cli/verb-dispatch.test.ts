import { describe, expect, it } from 'vitest'
import { clientVerbAt } from './verb-dispatch'

describe('clientVerbAt', () => {
  it('sends a verb to the developer CLI, after its own global flags', () => {
    expect(clientVerbAt(['run', 'a.js'])).toBe(true)
    expect(clientVerbAt(['--json', 'jobs', 'list'])).toBe(true)
    expect(clientVerbAt(['--url', 'http://h:1', '--token', 't', 'kv', 'get', 'a', 'b'])).toBe(true)
    expect(clientVerbAt(['--url=http://h:1', 'init', 'job'])).toBe(true)
    expect(clientVerbAt(['help', 'run'])).toBe(true)
  })

  it("leaves everything else to the server: no words, serve, and the server's flags", () => {
    expect(clientVerbAt([])).toBe(false)
    expect(clientVerbAt(['serve', '--port', '0'])).toBe(false)
    expect(clientVerbAt(['--port', '8000'])).toBe(false)
    // A server flag's value that happens to be a verb is still the server's.
    expect(clientVerbAt(['--data-dir', 'run'])).toBe(false)
    expect(clientVerbAt(['--token', 't', '--worker', 'ws://h/ws/volunteer'])).toBe(false)
    expect(clientVerbAt(['--help'])).toBe(false)
  })
})
