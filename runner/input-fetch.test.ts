// fetchOutput against a real HTTP server that serves right, changed, long, short and refused files.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchOutput, inputTarget, InputUnavailable } from './input-fetch'

const GOOD = 'the real contents\n'
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
/** What the server answers per output name. */
const served: Record<string, { status: number; body: string }> = {
  'good.txt': { status: 200, body: GOOD },
  'changed.txt': { status: 200, body: GOOD.toUpperCase() },
  'longer.txt': { status: 200, body: GOOD + 'and more' },
  'shorter.txt': { status: 200, body: GOOD.slice(1) },
  'refused.txt': { status: 403, body: '{"error":"not yours","code":"FORBIDDEN"}' },
}
const seen: { url: string; authorization: string | undefined }[] = []
let server: Server
let base: string
let dir: string

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization })
    const name = decodeURIComponent(
      new URL(req.url ?? '', 'http://x').pathname.split('/').pop() ?? '',
    )
    const answer = served[name] ?? { status: 404, body: 'no' }
    res.writeHead(answer.status).end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dir = await mkdtemp(path.join(os.tmpdir(), 'zv-input-fetch-'))
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

const via = () => ({
  httpBase: base,
  jobId: 'job-2',
  token: 't'.repeat(32),
  tempDir: path.join(dir, 'partial'),
})
const ref = (output: string) => ({
  job_id: 'job-1',
  output,
  sha256: sha256(GOOD),
  size: GOOD.length,
})

describe('fetchOutput', () => {
  it('moves a file that matches into place, asking as its own job with its token', async () => {
    const target = path.join(dir, 'in', 'sub', 'good.txt')
    await fetchOutput(ref('mounts/out/good.txt'), target, via())
    expect(readFileSync(target, 'utf8')).toBe(GOOD)
    expect(seen.at(-1)).toEqual({
      url: '/api/jobs/job-1/outputs/mounts/out/good.txt?for=job-2',
      authorization: `Bearer ${'t'.repeat(32)}`,
    })
    expect(readdirSync(path.join(dir, 'partial'))).toEqual([])
  })

  it.each([
    ['changed.txt', /arrived changed: sha256/],
    ['longer.txt', /larger than the 18 bytes it had/],
    ['shorter.txt', /arrived with 17 bytes; it had 18/],
    ['refused.txt', /HTTP 403 .*not yours/],
  ])('refuses %s, leaving nothing behind', async (name, message) => {
    const target = path.join(dir, 'in', name)
    const fetching = fetchOutput(ref(name), target, via())
    await expect(fetching).rejects.toBeInstanceOf(InputUnavailable)
    await expect(fetching).rejects.toThrow(message)
    expect(existsSync(target)).toBe(false)
    expect(readdirSync(path.join(dir, 'partial'))).toEqual([])
  })

  it('keeps input file names inside their mount', () => {
    expect(inputTarget('/m', 'a/b.txt')).toBe(path.join('/m', 'a', 'b.txt'))
    for (const name of ['../x', 'a/../../x', '/abs', 'a//b', 'a\\b'])
      expect(() => inputTarget('/m', name), name).toThrow(InputUnavailable)
  })
})
