/**
 * The connection a scripted client drives, whichever it is: a real WebSocket to a process, or an
 * in-memory socket to a core in the test's own process. Text frames only; the protocol has no other.
 */
import WebSocket from 'ws'

export interface FrameSocket {
  /** Frames can be sent (the socket is open and nobody has closed it yet). */
  readonly open: boolean
  send(text: string): void
  /** Closes politely (a close frame, or its in-memory equivalent). */
  close(): void
  /** Cuts the connection without a closing handshake. */
  terminate(): void
  onMessage(listener: (text: string) => void): void
  onClose(listener: (code: number, reason: string) => void): void
}

/**
 * Opens a real WebSocket. `from`: the local address to connect from (127.0.0.2 is another address
 * to the server); `headers`: sent with the upgrade (an Authorization header).
 */
export async function openWebSocket(
  url: string,
  options: { from?: string; headers?: Record<string, string>; maxPayload?: number } = {},
): Promise<FrameSocket> {
  const socket = new WebSocket(url, {
    ...(options.from && { localAddress: options.from }),
    ...(options.headers && { headers: options.headers }),
    ...(options.maxPayload && { maxPayload: options.maxPayload }),
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  // A socket error is followed by 'close', which is what tests wait for; unhandled, it would crash.
  socket.on('error', () => undefined)
  return {
    get open() {
      return socket.readyState === WebSocket.OPEN
    },
    send: (text) => socket.send(text),
    close: () => socket.close(),
    terminate: () => socket.terminate(),
    onMessage: (listener) => socket.on('message', (data) => listener(data.toString())),
    onClose: (listener) => socket.on('close', (code, reason) => listener(code, reason.toString())),
  }
}

/** The subset of a browser-style socket that an in-memory socket provides. */
export interface BrowserStyleSocket {
  readonly readyState: number
  send(text: string): void
  close(code?: number, reason?: string): void
  terminate(): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
}

/** Wraps a browser-style socket (see memory-socket.ts) once it has opened. */
export async function adoptSocket(socket: BrowserStyleSocket): Promise<FrameSocket> {
  const messages: ((text: string) => void)[] = []
  const closes: ((code: number, reason: string) => void)[] = []
  socket.onmessage = (event) => {
    for (const listener of messages) listener(String(event.data))
  }
  let opened: () => void = () => undefined
  const open = new Promise<void>((resolve) => (opened = resolve))
  socket.onopen = () => opened()
  socket.onclose = (event) => {
    opened()
    for (const listener of closes) listener(event.code, event.reason)
  }
  await open
  return {
    get open() {
      return socket.readyState === 1
    },
    send: (text) => socket.send(text),
    close: () => socket.close(),
    terminate: () => socket.terminate(),
    onMessage: (listener) => messages.push(listener),
    onClose: (listener) => closes.push(listener),
  }
}
