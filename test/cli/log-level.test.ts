/**
 * The CLI's logs at its default level: no request lines, but request ids still sent, and the
 * start-up line; and an unknown `--log-level` refused. Against the real CLI.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logLines } from '../helpers/log-lines'
import { removeDir } from '../helpers/temp-dir'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

describe('observability (default log level)', () => {
  let server: ZerverlessProcess

  beforeAll(async () => {
    server = await startZerverless(['--workers', '0'])
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('keeps request lines out of the default info level, and still sends request ids', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'quiet-1' } })
    expect(res.headers.get('x-request-id')).toBe('quiet-1')
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200)
    // The line would have been written before the response left.
    expect(logLines(server.output()).filter((l) => l.msg === 'request')).toEqual([])
    expect(server.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ /)
  })

  it('refuses an unknown --log-level', () => {
    const run = spawnSync(
      process.execPath,
      [path.resolve(import.meta.dirname, '../../bin/zerverless.js'), '--log-level', 'verbose'],
      { encoding: 'utf8' },
    )
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/--log-level.*verbose.*debug, info, warn, error, silent/s)
  })
})
