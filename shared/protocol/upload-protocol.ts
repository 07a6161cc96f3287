/**
 * The `/ws/upload` protocol: how a client sends a standalone service's files to the orchestrator in
 * numbered, base64 chunks, and resumes on a new socket after a drop. Every message is JSON text
 * `{"type": ..., "payload": {...}}` and is schema-parsed, because uploaders are untrusted.
 */
import { z } from 'zod'
import { describeIssues } from './schema-errors'

/** Largest chunk a client may declare (decoded bytes). */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024

/** Most files one upload group (one service) may carry. */
const MAX_UPLOAD_FILES = 1000

/** Codes of `FILE_UPLOAD_ERROR`; stable, unlike the messages, which are for people. */
const UPLOAD_ERROR_CODES = [
  'UNAUTHORIZED',
  'BAD_MESSAGE',
  'INVALID_PATH',
  'SESSION_NOT_FOUND',
  'CHUNK_OUT_OF_ORDER',
  'INVALID_ENCODING',
  'SIZE_MISMATCH',
  'HASH_MISMATCH',
  'TOO_LARGE',
  'WRITE_FAILED',
  'SERVICE_FAILED',
  'INTERNAL',
  /** The socket sends messages faster than allowed; they are dropped, and it is closed if it goes on. */
  'RATE_LIMITED',
] as const
export type UploadErrorCode = (typeof UPLOAD_ERROR_CODES)[number]

const SessionId = z.string().min(1).max(128)
const count = () => z.number().int().nonnegative()

// ── client → orchestrator ───────────────────────────────────────────────────

/** Must come first when the host did not authenticate the socket itself. */
const AuthMessage = z.strictObject({
  type: z.literal('AUTH'),
  payload: z.strictObject({ token: z.string().min(1).max(8192) }),
})

/**
 * Announces one file of an upload group. Paths (`file_path`, `service_name`) are checked by the
 * session manager, which answers INVALID_PATH rather than BAD_MESSAGE for unsafe ones.
 */
export const FileUploadStart = z.strictObject({
  type: z.literal('FILE_UPLOAD_START'),
  payload: z.strictObject({
    upload_group_id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ -'),
    /** 0 or absent: create a new service when the group completes; else replace that service's files. */
    service_id: count().optional(),
    /** Required when creating; the service's directory name. */
    service_name: z.string().max(64).optional(),
    filename: z.string().min(1).max(255),
    /** Relative path inside the service directory; may contain `/`. */
    file_path: z.string().max(4096),
    file_index: count(),
    total_files: z.number().int().min(1).max(MAX_UPLOAD_FILES),
    total_size: count(),
    total_chunks: z.number().int().min(1),
    chunk_size: z.number().int().min(1).max(MAX_CHUNK_BYTES),
    /** Checked when the file ends. */
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
      .optional(),
    /** Whether this file is the service's entry point; when no file says so, file_index 0 is. */
    executable: z.boolean().optional(),
    /** Settings for a service the group creates (arguments, environment_variables, ...); the service layer validates them. */
    service: z.record(z.string(), z.unknown()).optional(),
  }),
})
export type FileUploadStart = z.infer<typeof FileUploadStart>

export const FileUploadChunk = z.strictObject({
  type: z.literal('FILE_UPLOAD_CHUNK'),
  payload: z.strictObject({
    session_id: SessionId,
    chunk_index: count(),
    /** Standard base64 with padding; decoded strictly. */
    data: z.string(),
  }),
})
export type FileUploadChunk = z.infer<typeof FileUploadChunk>

const FileUploadEnd = z.strictObject({
  type: z.literal('FILE_UPLOAD_END'),
  payload: z.strictObject({ session_id: SessionId }),
})

/** Sent on a new socket after a drop: the reply says which chunk to send next. */
const FileUploadResume = z.strictObject({
  type: z.literal('FILE_UPLOAD_RESUME'),
  payload: z.strictObject({ session_id: SessionId }),
})

export const UploadClientMessage = z.discriminatedUnion('type', [
  AuthMessage,
  FileUploadStart,
  FileUploadChunk,
  FileUploadEnd,
  FileUploadResume,
])
export type UploadClientMessage = z.infer<typeof UploadClientMessage>

// ── orchestrator → client ───────────────────────────────────────────────────

const AuthOk = z.strictObject({ type: z.literal('AUTH_OK'), payload: z.strictObject({}) })

/** After START (this is how the client learns session_id), after every chunk and after RESUME. */
const FileUploadProgress = z.strictObject({
  type: z.literal('FILE_UPLOAD_PROGRESS'),
  payload: z.strictObject({
    session_id: SessionId,
    chunks_received: count(),
    bytes_uploaded: count(),
    /** 0-100, by bytes (by chunks for an empty file). */
    percentage: z.number().min(0).max(100),
    next_chunk_index: count(),
  }),
})

/** One file ended, with its size and hash as stored. */
const FileUploadFileComplete = z.strictObject({
  type: z.literal('FILE_UPLOAD_FILE_COMPLETE'),
  payload: z.strictObject({
    session_id: SessionId,
    file_path: z.string(),
    size: count(),
    sha256: z.string(),
  }),
})

/** Every file of the group ended and the service layer stored them. */
const FileUploadComplete = z.strictObject({
  type: z.literal('FILE_UPLOAD_COMPLETE'),
  payload: z.strictObject({
    upload_group_id: z.string(),
    service_id: z.number().int(),
    files: z.array(z.string()),
    success: z.literal(true),
  }),
})

const FileUploadError = z.strictObject({
  type: z.literal('FILE_UPLOAD_ERROR'),
  payload: z.strictObject({
    session_id: z.string().nullable(),
    error: z.string(),
    code: z.enum(UPLOAD_ERROR_CODES),
  }),
})

export const UploadServerMessage = z.discriminatedUnion('type', [
  AuthOk,
  FileUploadProgress,
  FileUploadFileComplete,
  FileUploadComplete,
  FileUploadError,
])
export type UploadServerMessage = z.infer<typeof UploadServerMessage>

// ── parsing ─────────────────────────────────────────────────────────────────

export type ParsedUpload<T> = { ok: true; message: T } | { ok: false; error: string }

function parseWith<T>(schema: z.ZodType<T>, text: string): ParsedUpload<T> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { ok: false, error: 'message is not JSON text' }
  }
  const parsed = schema.safeParse(data)
  if (parsed.success) return { ok: true, message: parsed.data }
  return { ok: false, error: describeIssues(parsed.error, data) }
}

/** Parses what a client sent; never throws. Unknown types and unknown fields are refused. */
export const parseUploadMessage = (text: string): ParsedUpload<UploadClientMessage> =>
  parseWith(UploadClientMessage, text)

/** Parses what the orchestrator sent (for upload clients and tests); never throws. */
export const parseUploadServerMessage = (text: string): ParsedUpload<UploadServerMessage> =>
  parseWith(UploadServerMessage, text)

/** Serializes a message; `satisfies` at call sites keeps senders honest about the shape. */
export function encodeUploadMessage(message: UploadClientMessage | UploadServerMessage): string {
  return JSON.stringify(message)
}

// ── chunk data ──────────────────────────────────────────────────────────────

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const DECODE = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i

const sextet = (text: string, i: number): number => {
  const code = text.charCodeAt(i)
  return code < 128 ? DECODE[code]! : -1
}

/**
 * Decodes standard base64 strictly: padded to a multiple of 4, no whitespace or URL-safe letters,
 * `=` only at the end, and unused bits zero (so every byte string has exactly one encoding).
 * `atob` would accept whitespace and missing padding. Returns undefined for anything else.
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  const full = text.length - (padding ? 4 : 0)
  let o = 0
  for (let i = 0; i < full; i += 4) {
    const a = sextet(text, i)
    const b = sextet(text, i + 1)
    const c = sextet(text, i + 2)
    const d = sextet(text, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 0xff
    out[o++] = n & 0xff
  }
  if (padding) {
    const a = sextet(text, full)
    const b = sextet(text, full + 1)
    const c = padding === 1 ? sextet(text, full + 2) : 0
    if ((a | b | c) < 0) return undefined
    // The bits past the last byte must be zero: "QQ==" is "A", "QR==" is refused.
    if (padding === 2 ? (b & 0x0f) !== 0 : (c & 0x03) !== 0) return undefined
    out[o++] = (a << 2) | (b >> 4)
    if (padding === 1) out[o++] = ((b & 0x0f) << 4) | (c >> 2)
  }
  return out
}
