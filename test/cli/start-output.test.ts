/**
 * What `zerverless` (and so `npm start`, after its quiet build check) prints at start: one line
 * naming the console, the volunteer page and the docs, and nothing else at the default level.
 * Against the real CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir } from '../helpers/temp-dir'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

describe('the start line', () => {
  let server: ZerverlessProcess

  beforeAll(async () => {
    server = await startZerverless(['--workers', '1'])
  })

  afterAll(async () => {
    await server.stop()
    removeDir(server.dataDir)
  })

  it('prints one line with the pages to open, first', async () => {
    // A request answered means start-up is over and anything it would print is printed.
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line !== '')
    expect(lines).toEqual([
      `zerverless listening on ${server.url} · console ${server.url}/console/ · ` +
        `volunteer page ${server.url}/volunteer/ · API docs ${server.url}/docs ` +
        `(1 internal worker, data in ${server.dataDir})`,
    ])
  })

  it('names a volunteer page that answers', async () => {
    const page = await fetch(`${server.url}/volunteer/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
  })
})
