/**
 * A client for the orchestrator's `/ws/upload` socket, driven by the test: it sends protocol
 * messages over a real WebSocket (or an in-memory socket to a core in this process, see
 * test-app.ts) and hands back the replies one by one, in the order they came, each parsed by the
 * protocol's own schema (so a malformed reply fails the test).
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import {
  encodeUploadMessage,
  parseUploadServerMessage,
  type FileUploadChunk,
  type FileUploadStart,
  type UploadClientMessage,
  type UploadServerMessage,
} from '../../shared/protocol/upload-protocol'
import { openWebSocket, type FrameSocket } from './frame-socket'

type ReplyType = UploadServerMessage['type']
type Payload<T extends ReplyType> = Extract<UploadServerMessage, { type: T }>['payload']

/** How long a reply or a close may take before the test fails; generous, never asserted. */
const WAIT_MS = 20_000

export interface Closed {
  code: number
  reason: string
}

export class UploadClient {
  readonly #unread: UploadServerMessage[] = []
  #waiter: (() => void) | undefined
  #closed: Closed | undefined
  /** A reply that did not parse; reported by the next read rather than thrown from an event. */
  #malformed: string | undefined
  /** Resolves when the socket has closed, from either side. */
  readonly closed: Promise<Closed>

  private constructor(private readonly socket: FrameSocket) {
    socket.onMessage((text) => {
      const parsed = parseUploadServerMessage(text)
      if (parsed.ok) this.#unread.push(parsed.message)
      else this.#malformed ??= `the orchestrator sent ${text}: ${parsed.error}`
      this.#waiter?.()
    })
    this.closed = new Promise((resolve) =>
      socket.onClose((code, reason) => {
        this.#closed = { code, reason }
        this.#waiter?.()
        resolve(this.#closed)
      }),
    )
  }

  /**
   * Opens `/ws/upload` on the orchestrator at `baseUrl`; `token` goes in the upgrade's header,
   * after `scheme` (any letter case is the same scheme).
   */
  static async open(baseUrl: string, token?: string, scheme = 'Bearer'): Promise<UploadClient> {
    const socket = await openWebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/upload`, {
      headers: token === undefined ? {} : { authorization: `${scheme} ${token}` },
    })
    return new UploadClient(socket)
  }

  /** Drives a socket that is already open (an in-memory one, see test-app.ts). */
  static over(socket: FrameSocket): UploadClient {
    return new UploadClient(socket)
  }

  /** Sends a message; a string goes as it is (for malformed frames). */
  send(message: UploadClientMessage | string): void {
    this.socket.send(typeof message === 'string' ? message : encodeUploadMessage(message))
  }

  /** The next reply not yet read, waiting for it if needed. */
  async next(ms = WAIT_MS): Promise<UploadServerMessage> {
    const end = Date.now() + ms
    for (;;) {
      if (this.#malformed) throw new Error(this.#malformed)
      const reply = this.#unread.shift()
      if (reply) return reply
      if (this.#closed)
        throw new Error(`the socket closed (${this.#closed.code}) before the next reply`)
      if (Date.now() >= end) throw new Error(`no reply within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, end - Date.now())
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#waiter = undefined
    }
  }

  /** The next reply, which must be of `type`; returns its payload. */
  async expect<T extends ReplyType>(type: T, ms = WAIT_MS): Promise<Payload<T>> {
    const reply = await this.next(ms)
    if (reply.type !== type) throw new Error(`expected ${type}, got ${encodeUploadMessage(reply)}`)
    return reply.payload as Payload<T>
  }

  /** Sends `message` and returns the payload of the reply, which must be of `type`. */
  request<T extends ReplyType>(
    message: UploadClientMessage | string,
    type: T,
  ): Promise<Payload<T>> {
    this.send(message)
    return this.expect(type)
  }

  /** Resolves once closed, or fails after `ms`. */
  async waitClosed(ms = WAIT_MS): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the socket did not close within ${ms} ms`)), ms)
    })
    try {
      return await Promise.race([this.closed, late])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes politely and waits for the close to finish. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.socket.close()
    await this.waitClosed()
  }

  /** Drops the connection without a close handshake, as a network failure would. */
  async terminate(): Promise<void> {
    this.socket.terminate()
    await this.waitClosed()
  }
}

export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex')

/** `bytes` cut into `chunkSize` pieces, each in standard base64 as the protocol wants. */
export function base64Chunks(bytes: Uint8Array, chunkSize: number): string[] {
  const chunks: string[] = []
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    chunks.push(Buffer.from(bytes.subarray(offset, offset + chunkSize)).toString('base64'))
  return chunks.length ? chunks : ['']
}

export interface FileToUpload {
  group: string
  serviceName: string
  filePath: string
  bytes: Uint8Array
  chunkSize: number
  fileIndex?: number
  totalFiles?: number
  executable?: boolean
  service?: Record<string, unknown>
}

/** A START describing `file` truthfully (sizes, chunk count, sha256); `overrides` lie on purpose. */
export function fileStart(
  file: FileToUpload,
  overrides: Partial<FileUploadStart['payload']> = {},
): FileUploadStart {
  return {
    type: 'FILE_UPLOAD_START',
    payload: {
      upload_group_id: file.group,
      service_name: file.serviceName,
      filename: path.posix.basename(file.filePath),
      file_path: file.filePath,
      file_index: file.fileIndex ?? 0,
      total_files: file.totalFiles ?? 1,
      total_size: file.bytes.length,
      total_chunks: Math.max(1, Math.ceil(file.bytes.length / file.chunkSize)),
      chunk_size: file.chunkSize,
      sha256: sha256(file.bytes),
      ...(file.executable !== undefined && { executable: file.executable }),
      ...(file.service && { service: file.service }),
      ...overrides,
    },
  }
}

export const fileChunk = (sessionId: string, index: number, data: string): FileUploadChunk => ({
  type: 'FILE_UPLOAD_CHUNK',
  payload: { session_id: sessionId, chunk_index: index, data },
})

export const fileEnd = (sessionId: string): UploadClientMessage => ({
  type: 'FILE_UPLOAD_END',
  payload: { session_id: sessionId },
})

export const fileResume = (sessionId: string): UploadClientMessage => ({
  type: 'FILE_UPLOAD_RESUME',
  payload: { session_id: sessionId },
})

export const auth = (token: string): UploadClientMessage => ({ type: 'AUTH', payload: { token } })

/**
 * Sends one whole file: START, every chunk (each acknowledged by progress), then END. Returns the
 * session id and the reply to END (FILE_UPLOAD_FILE_COMPLETE, or the error), unread replies after
 * it (FILE_UPLOAD_COMPLETE for a group's last file) are left for the caller.
 */
export async function uploadFile(
  client: UploadClient,
  file: FileToUpload,
): Promise<{ sessionId: string; ended: UploadServerMessage }> {
  const { session_id: sessionId } = await client.request(fileStart(file), 'FILE_UPLOAD_PROGRESS')
  for (const [index, data] of base64Chunks(file.bytes, file.chunkSize).entries())
    await client.request(fileChunk(sessionId, index, data), 'FILE_UPLOAD_PROGRESS')
  client.send(fileEnd(sessionId))
  return { sessionId, ended: await client.next() }
}
