/**
 * A git smart-HTTP server on 127.0.0.1 for tests: `git http-backend` behind HTTP Basic auth, so a
 * fetch with credentials (and one without, or with wrong ones) goes through real git over HTTP.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

export interface GitHttpServer {
  /** `http://127.0.0.1:{port}/` + a bare repository's directory name. */
  urlOf(bare: string): string
  /** The `Authorization` headers requests came with, in order (to check what git sent). */
  seen: string[]
  close(): Promise<void>
}

/** Serves the bare repositories in `root` to callers that present `username`:`password`. */
export async function startGitHttpServer(
  root: string,
  username: string,
  password: string,
): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
  const seen: string[] = []
  const server: Server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? ''
    seen.push(authorization)
    if (authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('who are you?')
      return
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: username,
        REMOTE_ADDR: '127.0.0.1',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    })
    req.pipe(cgi.stdin)
    const chunks: Buffer[] = []
    cgi.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    cgi.on('close', () => {
      const out = Buffer.concat(chunks)
      const end = out.indexOf('\r\n\r\n')
      const head = out.subarray(0, end).toString().split('\r\n')
      const headers: Record<string, string> = {}
      let status = 200
      for (const line of head) {
        const [name, ...rest] = line.split(':')
        const value = rest.join(':').trim()
        if (name?.toLowerCase() === 'status') status = Number(value.split(' ')[0])
        else if (name) headers[name] = value
      }
      res.writeHead(status, headers).end(out.subarray(end + 4))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    urlOf: (bare) => `http://127.0.0.1:${port}/${path.basename(bare)}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
