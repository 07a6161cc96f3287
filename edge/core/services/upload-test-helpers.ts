/** Fixtures for the upload manager's tests: a sink in memory, a manager on a fake clock, messages. */
import { expect, vi } from 'vitest'
import {
  parseUploadServerMessage,
  type FileUploadStart,
  type UploadServerMessage,
} from '../../../shared/protocol/upload-protocol'
import type { UploadConnection } from './upload-connection'
import {
  UploadSessions,
  type CompleteGroup,
  type UploadGroupDone,
  type UploadSink,
} from './upload-sessions'

/** Parts in memory; `failNext` makes the next append throw after writing `partial` bytes. */
export class MemorySink implements UploadSink {
  readonly parts = new Map<string, Uint8Array[]>()
  failNext?: { partial: number }

  async append(sessionId: string, bytes: Uint8Array): Promise<void> {
    const part = this.parts.get(sessionId) ?? []
    this.parts.set(sessionId, part)
    if (this.failNext) {
      const { partial } = this.failNext
      this.failNext = undefined
      if (partial > 0) part.push(bytes.slice(0, partial))
      throw new Error('disk full')
    }
    part.push(bytes.slice())
  }
  async size(sessionId: string): Promise<number> {
    return (this.parts.get(sessionId) ?? []).reduce((n, b) => n + b.length, 0)
  }
  async read(sessionId: string): Promise<ReadableStream<Uint8Array>> {
    const part = this.parts.get(sessionId) ?? []
    return new ReadableStream({
      start(controller) {
        for (const bytes of part) controller.enqueue(bytes)
        controller.close()
      },
    })
  }
  async discard(sessionId: string): Promise<void> {
    this.parts.delete(sessionId)
  }
  async bytes(sessionId: string): Promise<Uint8Array> {
    return new Uint8Array(await new Response(await this.read(sessionId)).arrayBuffer())
  }
}

export const TOKEN = 'secret-token'

export function setup(options: { complete?: CompleteGroup; maxFileBytes?: number } = {}) {
  const sink = new MemorySink()
  let clock = 1_000_000
  let ids = 0
  const stored: { group: UploadGroupDone; contents: Uint8Array[] }[] = []
  const complete = vi.fn<CompleteGroup>(
    options.complete ??
      (async (group, s) => {
        const contents = await Promise.all(
          group.files.map(
            async (f) =>
              new Uint8Array(await new Response(await s.read(f.sessionId)).arrayBuffer()),
          ),
        )
        stored.push({ group, contents })
        return { serviceId: 42 }
      }),
  )
  const sessions = new UploadSessions({
    sink,
    complete,
    maxFileBytes: options.maxFileBytes ?? 1024 * 1024,
    sessionTtlMs: 60_000,
    now: () => clock,
    newId: () => `s${++ids}`,
  })
  const connect = (authenticated = true) =>
    sessions.connection({ authenticated, checkToken: (token) => token === TOKEN })
  const advance = (ms: number) => (clock += ms)
  return { sink, sessions, complete, stored, connect, advance }
}

/** Sends one message; returns the decoded replies (and whether to close). */
export async function send(conn: UploadConnection, message: unknown) {
  const text = typeof message === 'string' ? message : JSON.stringify(message)
  const { replies, close } = await conn.receive(text)
  const messages = replies.map((r) => {
    const parsed = parseUploadServerMessage(r)
    if (!parsed.ok) throw new Error(`server sent an invalid message: ${parsed.error}`)
    return parsed.message
  })
  return { messages, close }
}

export async function one(conn: UploadConnection, message: unknown): Promise<UploadServerMessage> {
  const { messages } = await send(conn, message)
  expect(messages).toHaveLength(1)
  return messages[0]!
}

export const DONE = ['FILE_UPLOAD_FILE_COMPLETE', 'FILE_UPLOAD_COMPLETE']

/** Ends a file; returns the reply types. */
export async function endTypes(conn: UploadConnection, sessionId: string): Promise<string[]> {
  return (await send(conn, end(sessionId))).messages.map((m) => m.type)
}

export const errorCode = (m: UploadServerMessage) =>
  m.type === 'FILE_UPLOAD_ERROR' ? m.payload.code : m.type

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

export function content(length: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)
}

type StartPayload = FileUploadStart['payload']

export function startFor(data: Uint8Array, chunkSize: number, extra: Partial<StartPayload> = {}) {
  return {
    type: 'FILE_UPLOAD_START',
    payload: {
      upload_group_id: 'group-1',
      service_name: 'my-app',
      filename: 'app',
      file_path: 'app',
      file_index: 0,
      total_files: 1,
      total_size: data.length,
      total_chunks: Math.max(1, Math.ceil(data.length / chunkSize)),
      chunk_size: chunkSize,
      ...extra,
    },
  }
}

export const chunk = (sessionId: string, index: number, bytes: Uint8Array | string) => ({
  type: 'FILE_UPLOAD_CHUNK',
  payload: {
    session_id: sessionId,
    chunk_index: index,
    data: typeof bytes === 'string' ? bytes : base64(bytes),
  },
})
export const end = (sessionId: string) => ({
  type: 'FILE_UPLOAD_END',
  payload: { session_id: sessionId },
})
export const resume = (sessionId: string) => ({
  type: 'FILE_UPLOAD_RESUME',
  payload: { session_id: sessionId },
})

/** STARTs a file and returns its session id. */
export async function begin(conn: UploadConnection, start: unknown): Promise<string> {
  const reply = await one(conn, start)
  if (reply.type !== 'FILE_UPLOAD_PROGRESS') throw new Error(JSON.stringify(reply))
  return reply.payload.session_id
}

/** Sends chunks [from, to) of `data`; returns the last reply. */
export async function sendChunks(
  conn: UploadConnection,
  sessionId: string,
  data: Uint8Array,
  chunkSize: number,
  from = 0,
  to = Math.max(1, Math.ceil(data.length / chunkSize)),
) {
  let last: UploadServerMessage | undefined
  for (let i = from; i < to; i++) {
    last = await one(conn, chunk(sessionId, i, data.subarray(i * chunkSize, (i + 1) * chunkSize)))
    expect(last.type).toBe('FILE_UPLOAD_PROGRESS')
  }
  return last!
}
