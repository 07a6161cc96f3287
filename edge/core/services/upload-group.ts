/**
 * An upload group as the manager keeps it: its files' sessions, and what is checked about them
 * (a START's sizes and names, whether STARTs agree) and replied (progress, a file complete).
 */
import {
  decodeBase64Strict,
  type FileUploadChunk,
  type FileUploadStart,
  type UploadErrorCode,
  type UploadServerMessage,
} from '../../../shared/protocol/upload-protocol'
import type { Sha256 } from '../../../shared/protocol/sha256-stream'
import { checkStoragePath } from '../storage/storage-path'

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** A group of files that becomes one service once all of them ended. */
export interface Group {
  id: string
  serviceId?: number
  serviceName?: string
  service?: Record<string, unknown>
  totalFiles: number
  byPath: Map<string, Session>
  lastActive: number
  completing: boolean
  /** Set once the service layer accepted the group; kept for a TTL so late RESUMEs learn it. */
  completed?: UploadServerMessage
}

/** One file's upload, kept by the manager across connections. */
export interface Session {
  id: string
  group: Group
  start: FileUploadStart['payload']
  chunksReceived: number
  bytes: number
  hash: Sha256
  /** Set by END once size and hash checked out. */
  sha256?: string
  /** Serializes work on this session across connections. */
  lock: Promise<unknown>
}

/** The messages one client message is answered with, in order. */
export type Out = UploadServerMessage[]

/** An error reply about a session (or none, before one exists). */
export const fail = (sessionId: string | null, code: UploadErrorCode, error: string): Out => [
  { type: 'FILE_UPLOAD_ERROR', payload: { session_id: sessionId, error, code } },
]

/** What is wrong with a START on its own (path, name, sizes, counts), if anything. */
export function startProblem(
  start: FileUploadStart['payload'],
  maxFileBytes: number,
): Out | undefined {
  const path = pathProblem(start.file_path)
  if (path) return fail(null, 'INVALID_PATH', `file_path ${path}`)
  const creating = !start.service_id
  if (start.service_name !== undefined) {
    const name = pathProblem(start.service_name)
    if (name) return fail(null, 'INVALID_PATH', `service_name ${name}`)
    if (!SERVICE_NAME.test(start.service_name))
      return fail(
        null,
        'INVALID_PATH',
        'service_name must be 1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit',
      )
  } else if (creating) {
    return fail(null, 'BAD_MESSAGE', 'service_name is required when creating a service')
  }
  if (start.total_size > maxFileBytes)
    return fail(
      null,
      'TOO_LARGE',
      `total_size must be at most ${maxFileBytes} bytes; got ${start.total_size}`,
    )
  const chunks = Math.max(1, Math.ceil(start.total_size / start.chunk_size))
  if (start.total_chunks !== chunks)
    return fail(
      null,
      'BAD_MESSAGE',
      `total_chunks must be ${chunks} for total_size ${start.total_size} and chunk_size ${start.chunk_size}; got ${start.total_chunks}`,
    )
  if (start.file_index >= start.total_files)
    return fail(
      null,
      'BAD_MESSAGE',
      `file_index must be below total_files (${start.total_files}); got ${start.file_index}`,
    )
  return undefined
}

export function progress(session: Session): UploadServerMessage {
  const { start } = session
  const fraction =
    start.total_size > 0
      ? session.bytes / start.total_size
      : session.chunksReceived / start.total_chunks
  return {
    type: 'FILE_UPLOAD_PROGRESS',
    payload: {
      session_id: session.id,
      chunks_received: session.chunksReceived,
      bytes_uploaded: session.bytes,
      percentage: Math.round(fraction * 10000) / 100,
      next_chunk_index: session.chunksReceived,
    },
  }
}

export const fileComplete = (session: Session): UploadServerMessage => ({
  type: 'FILE_UPLOAD_FILE_COMPLETE',
  payload: {
    session_id: session.id,
    file_path: session.start.file_path,
    size: session.bytes,
    sha256: session.sha256!,
  },
})

/** The storage checker throws; here a bad path is a value ("must be relative ..."). */
function pathProblem(path: string): string | undefined {
  try {
    checkStoragePath(path)
    return undefined
  } catch (err) {
    return (err as Error).message.replace(/^path /, '')
  }
}

/** Every START of a group must describe the same group. */
export function groupMismatch(group: Group, start: FileUploadStart['payload']): string | undefined {
  if (group.totalFiles !== start.total_files)
    return `total_files is ${group.totalFiles} for upload group ${group.id}; got ${start.total_files}`
  if (group.serviceId !== (start.service_id || undefined))
    return `service_id is ${group.serviceId ?? 0} for upload group ${group.id}; got ${start.service_id ?? 0}`
  if (start.service_name !== undefined && group.serviceName !== start.service_name)
    return `service_name is ${group.serviceName ?? '(none)'} for upload group ${group.id}; got ${start.service_name}`
  if (
    start.service !== undefined &&
    group.service !== undefined &&
    JSON.stringify(start.service) !== JSON.stringify(group.service)
  )
    return `service settings differ from an earlier FILE_UPLOAD_START of upload group ${group.id}`
  return undefined
}

/** Whether a repeated START describes the same file (then it is an idempotent restart). */
export function sameFile(a: FileUploadStart['payload'], b: FileUploadStart['payload']): boolean {
  return (
    a.file_index === b.file_index &&
    a.total_size === b.total_size &&
    a.total_chunks === b.total_chunks &&
    a.chunk_size === b.chunk_size &&
    a.sha256?.toLowerCase() === b.sha256?.toLowerCase() &&
    a.executable === b.executable
  )
}

/**
 * A chunk's bytes, once its index is the next one and its size what that index calls for; else
 * the reply (a progress for a chunk already received, an error otherwise).
 */
export function chunkBytes(session: Session, chunk: FileUploadChunk['payload']): Uint8Array | Out {
  const { id, start } = session
  const index = chunk.chunk_index
  if (index >= start.total_chunks)
    return fail(
      id,
      'SIZE_MISMATCH',
      `chunk_index ${index} is past the end: the file has ${start.total_chunks} chunks`,
    )
  // Already received (a resend after a drop): acknowledge without writing.
  if (index < session.chunksReceived) return [progress(session)]
  if (index > session.chunksReceived)
    return fail(
      id,
      'CHUNK_OUT_OF_ORDER',
      `expected chunk_index ${session.chunksReceived} (next_chunk_index); got ${index}`,
    )
  const bytes = decodeBase64Strict(chunk.data)
  if (!bytes)
    return fail(
      id,
      'INVALID_ENCODING',
      `chunk ${index} is not standard padded base64; encode it again`,
    )
  const expected = Math.min(start.chunk_size, start.total_size - index * start.chunk_size)
  if (bytes.length !== expected)
    return fail(
      id,
      'SIZE_MISMATCH',
      `chunk ${index} must be ${expected} bytes (chunk_size, or what is left of total_size for the last chunk); got ${bytes.length}`,
    )
  return bytes
}
