/**
 * HTTP/1.1 over a bare TCP socket, byte for byte as written: no URL normalisation (fetch and
 * node:http would resolve `..` or refuse a NUL before the server ever saw it), no header checks,
 * and bodies that may be sent slowly. Every call is bounded, so a hung server fails the test.
 */
import net from 'node:net'

export interface RawResponse {
  status: number
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** The status line and headers exactly as received. */
  head: string
  body: string
}

export interface RawRequest {
  method?: string
  /** The request target as sent: `/api/storage/a/%2e%2e/b`, or with literal NUL or backslashes. */
  target: string
  headers?: Record<string, string>
  /** Sent with a Content-Length unless `headers` set one (or Transfer-Encoding). */
  body?: string | Uint8Array
  /** Default 10 s; longer means the server hung. */
  timeoutMs?: number
  /** Leave out `Connection: close`, as browsers and fetch do. */
  keepAlive?: boolean
}

export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const headers = { ...request.headers }
  const names = Object.keys(headers).map((name) => name.toLowerCase())
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body
  if (body && !names.includes('content-length') && !names.includes('transfer-encoding'))
    headers['Content-Length'] = String(body.length)
  const head =
    `${request.method ?? 'GET'} ${request.target} HTTP/1.1\r\n` +
    `Host: 127.0.0.1\r\n${request.keepAlive ? '' : 'Connection: close\r\n'}` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n'
  return exchange(baseUrl, request.timeoutMs ?? 10_000, (socket) => {
    socket.write(head)
    if (body) socket.write(body)
  })
}

/**
 * Sends `head` (a request line and some headers, or a whole head and a body start), then
 * `drip` once every `intervalMs` until the server closes the connection. Resolves with when
 * that happened and what the server said; fails if it has not happened within `limitMs`.
 */
export function slowRequest(
  baseUrl: string,
  head: string,
  drip: string,
  intervalMs: number,
  limitMs: number,
): Promise<{ elapsedMs: number; response: RawResponse | undefined }> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  return exchange(
    baseUrl,
    limitMs,
    (socket) => {
      socket.write(head)
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(drip)
      }, intervalMs)
    },
    true,
  )
    .then((response) => ({ elapsedMs: Date.now() - started, response }))
    .finally(() => clearInterval(timer))
}

function exchange(
  baseUrl: string,
  timeoutMs: number,
  send: (socket: net.Socket) => void,
  allowEmpty?: false,
): Promise<RawResponse>
function exchange(
  baseUrl: string,
  timeoutMs: number,
  send: (socket: net.Socket) => void,
  allowEmpty: true,
): Promise<RawResponse | undefined>
function exchange(
  baseUrl: string,
  timeoutMs: number,
  send: (socket: net.Socket) => void,
  allowEmpty = false,
): Promise<RawResponse | undefined> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(Number(port), hostname)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server did not finish answering within ${timeoutMs} ms`))
    }, timeoutMs)
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      const received = Buffer.concat(chunks)
      if (received.length === 0) {
        if (allowEmpty) resolve(undefined)
        else reject(new Error('the server closed the connection without answering'))
        return
      }
      try {
        resolve(parse(received))
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      // A whole response has arrived: no need to wait for the server to hang up.
      if (complete(Buffer.concat(chunks))) {
        finish()
        socket.destroy()
      }
    })
    // The server may answer (413, 400) and hang up while the body is still going out: the
    // write then fails with EPIPE or ECONNRESET, and what it said is still in `chunks`.
    socket.on('error', () => undefined)
    socket.on('close', finish)
    socket.on('connect', () => send(socket))
  })
}

/** Whether `received` holds a whole response framed by Content-Length or chunked encoding. */
function complete(received: Buffer): boolean {
  const end = received.indexOf('\r\n\r\n')
  if (end === -1) return false
  const head = received.subarray(0, end).toString('latin1').toLowerCase()
  const body = received.subarray(end + 4)
  const length = /\r\ncontent-length: *(\d+)/.exec(head)
  if (length) return body.length >= Number(length[1])
  if (/\r\ntransfer-encoding: *chunked/.test(head)) {
    const text = body.toString('latin1')
    return text === '0\r\n\r\n' || text.endsWith('\r\n0\r\n\r\n')
  }
  return false
}

function parse(received: Buffer): RawResponse {
  const end = received.indexOf('\r\n\r\n')
  if (end === -1) throw new Error(`not an HTTP response: ${JSON.stringify(received.toString())}`)
  const head = received.subarray(0, end).toString('latin1')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
  if (!match) throw new Error(`not an HTTP status line: ${statusLine}`)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  }
  let body = received.subarray(end + 4)
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = unchunk(body)
  return { status: Number(match[1]), headers, head, body: body.toString() }
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset)
    if (lineEnd === -1) break
    const size = parseInt(data.subarray(offset, lineEnd).toString(), 16)
    if (!size) break
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}
