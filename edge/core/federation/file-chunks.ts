/**
 * Files over the mesh: a stream of bytes sent as base64 frames of at most FILE_CHUNK_BYTES (a
 * service's file to the peer that runs it, a run's output back to its origin), paced by the
 * stream's `drained`, and received straight into a store as a stream, never whole in memory.
 */
import { FILE_CHUNK_BYTES } from '../../../shared/protocol/federation'
import { decodeBase64Strict } from '../../../shared/protocol/upload-protocol'
import type { MeshStream } from './mesh'

/** Sends `body` as `type` frames naming `path`; false when the stream closed on the way. */
export async function sendFile(
  stream: MeshStream,
  type: 'file' | 'output',
  path: string,
  body: ReadableStream<Uint8Array>,
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  let pending: Uint8Array = new Uint8Array(0)
  const flush = async (last: boolean) => {
    const data = toBase64(pending.subarray(0, FILE_CHUNK_BYTES))
    pending = pending.subarray(Math.min(pending.length, FILE_CHUNK_BYTES))
    return stream.send({ type, ...extra, path, data, last }) && (await stream.drained())
  }
  const reader = body.getReader()
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      pending = concat(pending, read.value)
      while (pending.length >= FILE_CHUNK_BYTES) if (!(await flush(false))) return false
    }
    return await flush(true)
  } finally {
    reader.releaseLock()
  }
}

/** A file arriving in chunks, written into a store as it comes. */
export class IncomingFile<T> {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>
  private readonly stored: Promise<T>

  /** `store` consumes the stream (a FileStore write): it resolves once the last chunk is in. */
  constructor(store: (body: ReadableStream<Uint8Array>) => Promise<T>) {
    const pipe = new TransformStream<Uint8Array, Uint8Array>()
    this.writer = pipe.writable.getWriter()
    this.stored = store(pipe.readable)
    // Seen by `end`; unobserved until then, a rejection must not go unhandled.
    this.stored.catch(() => undefined)
  }

  /** Adds a chunk; the last one resolves with what the store made of the whole file. */
  async add(data: string, last: boolean): Promise<T | undefined> {
    await Promise.race([this.writer.write(fromBase64(data)), this.stored])
    if (!last) return undefined
    await this.writer.close()
    return this.stored
  }

  /** Gives up on it: the store sees an error and keeps nothing. */
  abort(why: string): void {
    void this.writer.abort(new Error(why)).catch(() => undefined)
  }
}

export function toBase64(bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

/** Throws on text that is not (strict) base64. */
export function fromBase64(text: string): Uint8Array {
  const bytes = decodeBase64Strict(text)
  if (!bytes) throw new Error('a chunk is not base64')
  return bytes
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}
