/**
 * Storage as only a real HTTP server shows it, against the real CLI: request targets exactly as
 * written (fetch would normalise them), an upload whose connection is cut, and the seed README's
 * curl commands.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

let server: ZerverlessProcess
const outside = tempDir('zv-outside-')

beforeAll(async () => {
  server = await startZerverless(['--workers', '0'])
})

afterAll(async () => {
  await server.stop()
  removeDir(server.dataDir)
  removeDir(outside)
})

/** A request exactly as written, bypassing fetch's URL normalisation. */
function raw(method: string, target: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      )
    })
    let data = ''
    socket.on('data', (d) => (data += d.toString()))
    socket.on('end', () =>
      resolve({
        status: Number(data.split(' ')[1]),
        body: data.slice(data.indexOf('\r\n\r\n') + 4),
      }),
    )
    socket.on('error', reject)
  })
}

describe('storage over HTTP', () => {
  it('leaves no partial file when an upload is cut off', async () => {
    const { port } = new URL(server.url)
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'PUT /api/storage/cut/part.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n',
        )
        socket.write(Buffer.alloc(1000, 1))
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 200)
      })
    })
    await new Promise((r) => setTimeout(r, 300))
    expect((await fetch(`${server.url}/api/storage/cut/part.bin`)).status).toBe(404)
    expect(existsSync(path.join(server.dataDir, 'storage', 'cut', 'part.bin'))).toBe(false)
  })

  it('refuses every path that would leave the namespace, with 400', async () => {
    const attempts = [
      '/api/storage/alice/../bob/x',
      '/api/storage/alice/%2e%2e/bob/x',
      '/api/storage/alice/%2e%2e%2fbob%2fx',
      '/api/storage/alice/a%5c..%5cb',
      '/api/storage/alice/a%00b',
      '/api/storage/alice//etc/passwd',
      '/static/alice/../../etc/passwd',
      '/static/alice/%2e%2e/%2e%2e/etc/passwd',
    ]
    for (const target of attempts) {
      for (const method of ['GET', 'PUT']) {
        const res = await raw(method, target)
        expect(res.status, `${method} ${target} → ${res.body}`).toBe(400)
      }
    }
  })

  it('runs the seed README curl commands as written', () => {
    const file = path.join(outside, 'index.html')
    writeFileSync(file, '<p>seed</p>')
    const curl = (args: string[]) => {
      const run = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...args], {
        encoding: 'utf8',
      })
      // On a failure, say why: curl's own error and what the server printed.
      if (run.stdout === '000') console.error(run.stderr, server.output().slice(-2000))
      return run.stdout
    }
    expect(
      curl([
        '-X',
        'PUT',
        `${server.url}/api/storage/alice/index.html`,
        '--data-binary',
        `@${file}`,
      ]),
    ).toBe('201')
    expect(curl([`${server.url}/static/alice/index.html`])).toBe('200')
  })
})
