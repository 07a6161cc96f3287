/**
 * Upload sessions for standalone-service files: chunks are checked (order, size, encoding), written
 * through a host-supplied sink and hashed as they arrive; a group of files becomes a service once every
 * file has ended. Sessions belong to the manager, not the socket, so a dropped connection resumes.
 */
import {
  decodeBase64Strict,
  encodeUploadMessage,
  parseUploadMessage,
  type FileUploadChunk,
  type FileUploadStart,
  type UploadErrorCode,
  type UploadServerMessage,
} from '../../../shared/protocol/upload-protocol'
import { Sha256 } from '../../../shared/protocol/sha256-stream'
import { bearerToken } from '../auth/bearer'
import { MessageRate, type MessageRateSettings, type MessageVerdict } from '../limits/message-rate'
import { checkStoragePath } from '../storage/storage-path'

/** Where a session's bytes go until the group completes; the host supplies it (temp files, memory). */
export interface UploadSink {
  /** Appends bytes to the session's temporary part (creating it on the first call). */
  append(sessionId: string, bytes: Uint8Array): Promise<void>
  /** Size of the temporary part so far; 0 when there is none. */
  size(sessionId: string): Promise<number>
  /** Reads the whole part back as a stream (for hashing/moving). */
  read(sessionId: string): Promise<ReadableStream<Uint8Array>>
  /** Removes the part; a missing part is not an error. */
  discard(sessionId: string): Promise<void>
}

/** One ended file of a group; its bytes are the sink's part `sessionId`. */
export interface UploadedFile {
  sessionId: string
  filePath: string
  size: number
  sha256: string
  /** The service's entry point: the file that said `executable: true`, else file_index 0. */
  executable: boolean
}

/** Whether an uploader may create or change services of a namespace. */
export type UploadScope = (namespace: string) => boolean

/** A group whose files have all ended, handed to the service layer. Files are in file_index order. */
export interface UploadGroupDone {
  uploadGroupId: string
  /** Absent: create a service. */
  serviceId?: number
  /** Always present when creating; present on update only if the client sent it. */
  serviceName?: string
  /** Service settings from START, unvalidated. */
  service?: Record<string, unknown>
  files: UploadedFile[]
  /** The namespaces the connection that completed the group may write (absent: every one). */
  covers?: UploadScope
}

/**
 * Called when every file of a group has ended: stores the files and creates/updates the service;
 * returns its id, or throws an Error whose message is shown to the client (code SERVICE_FAILED).
 * The sink's parts are discarded by the manager afterwards.
 */
export type CompleteGroup = (
  group: UploadGroupDone,
  sink: UploadSink,
) => Promise<{ serviceId: number }>

export interface UploadSessionsOptions {
  sink: UploadSink
  complete: CompleteGroup
  /** Largest total_size accepted for one file. */
  maxFileBytes: number
  /** How long a group may sit idle before `sweep` drops it; default one hour. */
  sessionTtlMs?: number
  /** Messages a second (and burst) one socket may send; past it they are dropped, then it closes. */
  messageRate?: MessageRateSettings
  now?: () => number
  newId?: () => string
}

export interface ConnectionOptions {
  /** True when the host already authenticated the socket (then AUTH is optional). */
  authenticated: boolean
  /** The namespaces an authenticated socket may write services to (default: every one). */
  scope?: UploadScope
  /**
   * Checks an AUTH token: false or undefined for a wrong one, true (every namespace) or the
   * namespaces it covers. A throw counts as "could not check", not as a wrong token.
   */
  checkToken: (
    token: string,
  ) => boolean | UploadScope | undefined | Promise<boolean | UploadScope | undefined>
}

/** What to send back for one message, in order; `close: true` means send them, then close the socket. */
export interface UploadReply {
  replies: string[]
  close: boolean
  /** The close frame's reason when `close` is set (default: unauthorized). */
  reason?: string
}

/** One socket's view of the manager. */
export interface UploadConnection {
  /** Handles one text message; never throws. Calls may overlap: replies keep message order. */
  receive(text: string): Promise<UploadReply>
}

/** The token an upload socket's upgrade request offers: a Bearer header, else `?token=`. */
export function offeredToken(request: Request): string | undefined {
  const bearer = bearerToken(request.headers.get('authorization'))
  return bearer ?? new URL(request.url).searchParams.get('token') ?? undefined
}

/** Failed AUTH messages after which a connection is closed. */
export const MAX_AUTH_FAILURES = 3

const DEFAULT_TTL_MS = 60 * 60 * 1000
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

interface Group {
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

interface Session {
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

type Out = UploadServerMessage[]

const fail = (sessionId: string | null, code: UploadErrorCode, error: string): Out => [
  { type: 'FILE_UPLOAD_ERROR', payload: { session_id: sessionId, error, code } },
]

/** Owns every upload session of one orchestrator; sockets get `connection()` views of it. */
export class UploadSessions {
  readonly #sink: UploadSink
  readonly #complete: CompleteGroup
  readonly #maxFileBytes: number
  readonly #ttl: number
  readonly #now: () => number
  readonly #newId: () => string
  readonly #groups = new Map<string, Group>()
  readonly #sessions = new Map<string, Session>()
  readonly #messageRate: MessageRateSettings

  constructor(options: UploadSessionsOptions) {
    this.#sink = options.sink
    this.#complete = options.complete
    this.#maxFileBytes = options.maxFileBytes
    this.#ttl = options.sessionTtlMs ?? DEFAULT_TTL_MS
    this.#now = options.now ?? (() => Date.now())
    this.#newId = options.newId ?? (() => crypto.randomUUID())
    this.#messageRate = options.messageRate ?? { rate: 0, burst: 0 }
  }

  /** A view for one socket; sessions outlive it. */
  connection(options: ConnectionOptions): UploadConnection {
    return new Connection(
      (text, scope) => this.#handle(text, scope),
      options,
      MessageRate.of(this.#messageRate, this.#now()),
    )
  }

  /**
   * A connection for a socket whose upgrade offered `offered` (an `Authorization: Bearer` header
   * or a `?token=`); `check` says whether a token (or none) may upload (see auth/upload-access.ts).
   */
  async connectionFor(
    check: (token: string | undefined) => Promise<UploadScope | undefined>,
    offered: string | undefined,
  ): Promise<UploadConnection> {
    const scope = await check(offered)
    return this.connection({
      authenticated: scope !== undefined,
      ...(scope && { scope }),
      checkToken: (t) => check(t),
    })
  }

  /**
   * Drops groups idle longer than the TTL, discarding their parts, and forgets completed groups
   * older than that. Returns how many unfinished sessions were dropped. Call it every few minutes.
   */
  async sweep(): Promise<number> {
    const cutoff = this.#now() - this.#ttl
    let dropped = 0
    for (const group of [...this.#groups.values()]) {
      if (group.lastActive > cutoff || group.completing) continue
      if (!group.completed) dropped += group.byPath.size
      await this.#forget(group, true)
    }
    return dropped
  }

  /** Handles one message of an authenticated connection that may write to `scope`. */
  async #handle(text: string, scope: UploadScope): Promise<Out> {
    const parsed = parseUploadMessage(text)
    if (!parsed.ok) return fail(null, 'BAD_MESSAGE', parsed.error)
    const { message } = parsed
    switch (message.type) {
      case 'AUTH':
        return [{ type: 'AUTH_OK', payload: {} }]
      case 'FILE_UPLOAD_START':
        return this.#start(message.payload)
      case 'FILE_UPLOAD_CHUNK':
        return this.#withSession(message.payload.session_id, (s) => this.#chunk(s, message.payload))
      case 'FILE_UPLOAD_END':
        return this.#withSession(message.payload.session_id, (s) => this.#end(s, scope))
      case 'FILE_UPLOAD_RESUME':
        return this.#withSession(message.payload.session_id, async (s) => [progress(s)])
    }
  }

  async #start(start: FileUploadStart['payload']): Promise<Out> {
    const problem = this.#startProblem(start)
    if (problem) return problem
    const existing = this.#groups.get(start.upload_group_id)
    if (existing?.completed) {
      // Only a replay of one of the group's own STARTs learns the result; anything else is a new
      // upload under a reused id, which must not be mistaken for the finished one.
      const known = existing.byPath.get(start.file_path)
      if (!groupMismatch(existing, start) && known && sameFile(known.start, start))
        return [existing.completed]
      return fail(
        null,
        'BAD_MESSAGE',
        `upload group ${existing.id} is already completed; use a new upload_group_id`,
      )
    }
    if (existing?.completing)
      return fail(
        null,
        'BAD_MESSAGE',
        `upload group ${existing.id} is being completed; wait for it`,
      )
    const group = existing ?? this.#newGroup(start)
    const mismatch = existing && groupMismatch(existing, start)
    if (mismatch) return fail(null, 'BAD_MESSAGE', mismatch)
    group.lastActive = this.#now()

    const same = group.byPath.get(start.file_path)
    if (same && sameFile(same.start, start)) return [progress(same)]
    for (const other of group.byPath.values()) {
      if (other === same) continue
      if (other.start.file_index === start.file_index)
        return fail(
          null,
          'BAD_MESSAGE',
          `file_index ${start.file_index} is already ${other.start.file_path} in this group`,
        )
      if (start.executable && other.start.executable)
        return fail(
          null,
          'BAD_MESSAGE',
          `only one file can be executable; ${other.start.file_path} already is`,
        )
    }
    // A START for a known path with different sizes or hash replaces the earlier upload of it.
    // Everything up to the discard below is synchronous, so concurrent STARTs cannot interleave.
    if (same) this.#detach(same)
    const session: Session = {
      id: this.#newId(),
      group,
      start,
      chunksReceived: 0,
      bytes: 0,
      hash: new Sha256(),
      lock: Promise.resolve(),
    }
    this.#groups.set(group.id, group)
    group.service ??= start.service
    group.byPath.set(start.file_path, session)
    this.#sessions.set(session.id, session)
    if (same) await (same.lock = same.lock.then(() => this.#discard(same.id)))
    return [progress(session)]
  }

  #startProblem(start: FileUploadStart['payload']): Out | undefined {
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
    if (start.total_size > this.#maxFileBytes)
      return fail(
        null,
        'TOO_LARGE',
        `total_size must be at most ${this.#maxFileBytes} bytes; got ${start.total_size}`,
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

  #newGroup(start: FileUploadStart['payload']): Group {
    return {
      id: start.upload_group_id,
      serviceId: start.service_id || undefined,
      serviceName: start.service_name,
      totalFiles: start.total_files,
      byPath: new Map(),
      lastActive: this.#now(),
      completing: false,
    }
  }

  /** Runs `work` under the session's lock; unknown and completed sessions are answered here. */
  async #withSession(id: string, work: (session: Session) => Promise<Out>): Promise<Out> {
    const session = this.#sessions.get(id)
    if (!session)
      return fail(
        id,
        'SESSION_NOT_FOUND',
        `no upload session ${id}: it finished, failed or expired; send FILE_UPLOAD_START again`,
      )
    const run = session.lock.then(async (): Promise<Out> => {
      const { group } = session
      if (group.completed) return [group.completed]
      if (this.#sessions.get(id) !== session)
        return fail(id, 'SESSION_NOT_FOUND', `upload session ${id} was replaced or dropped`)
      group.lastActive = this.#now()
      try {
        return await work(session)
      } finally {
        group.lastActive = this.#now()
      }
    })
    session.lock = run.catch(() => undefined)
    return run
  }

  async #chunk(session: Session, chunk: FileUploadChunk['payload']): Promise<Out> {
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
    try {
      await this.#sink.append(id, bytes)
    } catch (err) {
      return this.#writeFailed(session, err)
    }
    session.hash.update(bytes)
    session.chunksReceived++
    session.bytes += bytes.length
    return [progress(session)]
  }

  /** A failed append may have left part of the chunk behind; then the session cannot continue. */
  async #writeFailed(session: Session, err: unknown): Promise<Out> {
    const reason = err instanceof Error ? err.message : String(err)
    const size = await this.#sink.size(session.id).catch(() => -1)
    if (size === session.bytes)
      return fail(
        session.id,
        'WRITE_FAILED',
        `could not store the chunk (${reason}); send it again`,
      )
    await this.#drop(session)
    return fail(
      session.id,
      'WRITE_FAILED',
      `could not store the chunk (${reason}); the session is gone, send FILE_UPLOAD_START again`,
    )
  }

  async #end(session: Session, scope: UploadScope): Promise<Out> {
    const { id, start, group } = session
    if (session.sha256) return [fileComplete(session)]
    if (session.chunksReceived < start.total_chunks || session.bytes !== start.total_size)
      return fail(
        id,
        'SIZE_MISMATCH',
        `received ${session.chunksReceived} of ${start.total_chunks} chunks (${session.bytes} of ${start.total_size} bytes); send chunk ${session.chunksReceived} next`,
      )
    const stored = await this.#sink.size(id).catch(() => undefined)
    if (stored === undefined)
      return fail(id, 'WRITE_FAILED', 'could not check the stored file; send FILE_UPLOAD_END again')
    if (stored !== start.total_size) {
      await this.#drop(session)
      return fail(
        id,
        'WRITE_FAILED',
        `the stored file has ${stored} bytes, not ${start.total_size}; send FILE_UPLOAD_START again`,
      )
    }
    const sha256 = session.hash.hex()
    if (start.sha256 && start.sha256.toLowerCase() !== sha256) {
      await this.#drop(session)
      return fail(
        id,
        'HASH_MISMATCH',
        `the file's sha256 is ${sha256}, not ${start.sha256.toLowerCase()}; send FILE_UPLOAD_START again`,
      )
    }
    session.sha256 = sha256
    const out: Out = [fileComplete(session)]
    const files = [...group.byPath.values()]
    if (group.completing || files.length < group.totalFiles || files.some((f) => !f.sha256))
      return out
    return [...out, ...(await this.#completeGroup(group, session, scope))]
  }

  async #completeGroup(group: Group, last: Session, scope: UploadScope): Promise<Out> {
    group.completing = true
    const sessions = [...group.byPath.values()].sort(
      (a, b) => a.start.file_index - b.start.file_index,
    )
    const chosen = sessions.some((s) => s.start.executable)
    const files = sessions.map((s): UploadedFile => ({
      sessionId: s.id,
      filePath: s.start.file_path,
      size: s.bytes,
      sha256: s.sha256!,
      executable: chosen ? s.start.executable === true : s.start.file_index === 0,
    }))
    let out: Out
    try {
      const { serviceId } = await this.#complete(
        {
          uploadGroupId: group.id,
          serviceId: group.serviceId,
          serviceName: group.serviceName,
          service: group.service,
          files,
          covers: scope,
        },
        this.#sink,
      )
      group.completed = {
        type: 'FILE_UPLOAD_COMPLETE',
        payload: {
          upload_group_id: group.id,
          service_id: serviceId,
          files: files.map((f) => f.filePath),
          success: true,
        },
      }
      out = [group.completed]
    } catch (err) {
      out = fail(last.id, 'SERVICE_FAILED', err instanceof Error ? err.message : String(err))
    }
    group.completing = false
    group.lastActive = this.#now()
    // A failed group is forgotten so that the client can retry it; a completed one is remembered
    // (without its parts) so that a RESUME after a lost reply still learns the service id.
    await this.#forget(group, !group.completed)
    return out
  }

  /** Discards a group's parts; `entirely` also forgets the group and its session ids. */
  async #forget(group: Group, entirely: boolean): Promise<void> {
    if (entirely) {
      if (this.#groups.get(group.id) === group) this.#groups.delete(group.id)
      for (const session of group.byPath.values()) this.#sessions.delete(session.id)
    }
    for (const session of group.byPath.values()) await this.#discard(session.id)
  }

  /** Forgets one session and its part (hash mismatch, broken write); runs under its lock. */
  async #drop(session: Session): Promise<void> {
    this.#detach(session)
    await this.#discard(session.id)
  }

  /** Removes a session from the maps; a group left empty goes too, so a retry starts afresh. */
  #detach(session: Session): void {
    const { group } = session
    this.#sessions.delete(session.id)
    if (group.byPath.get(session.start.file_path) === session)
      group.byPath.delete(session.start.file_path)
    if (group.byPath.size === 0 && this.#groups.get(group.id) === group)
      this.#groups.delete(group.id)
  }

  /** Cleanup is best effort: a part the sink cannot remove must not turn into an error reply. */
  async #discard(sessionId: string): Promise<void> {
    await this.#sink.discard(sessionId).catch(() => undefined)
  }
}

/** Authentication state of one socket in front of the shared manager. */
class Connection implements UploadConnection {
  #authenticated: boolean
  #scope: UploadScope
  #failures = 0
  #tail: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly handle: (text: string, scope: UploadScope) => Promise<Out>,
    private readonly options: ConnectionOptions,
    private readonly rate?: MessageRate,
  ) {
    this.#authenticated = options.authenticated
    this.#scope = options.scope ?? (() => true)
  }

  receive(text: string): Promise<UploadReply> {
    // Counted as it arrives, answered in turn.
    const verdict = this.rate?.check() ?? 'ok'
    const run = this.#tail.then(() =>
      verdict === 'ok' ? this.#receive(text) : this.#limited(verdict),
    )
    this.#tail = run
    return run
  }

  #limited(verdict: Exclude<MessageVerdict, 'ok'>): UploadReply {
    if (verdict === 'drop') return reply([])
    const why = this.rate?.describe() ?? 'too many messages'
    if (verdict === 'warn')
      return reply(fail(null, 'RATE_LIMITED', `${why}: messages are being dropped; slow down`))
    return {
      ...reply(fail(null, 'RATE_LIMITED', `${why}: closing`), true),
      reason: 'too many messages',
    }
  }

  async #receive(text: string): Promise<UploadReply> {
    try {
      if (this.#failures >= MAX_AUTH_FAILURES)
        return reply(fail(null, 'UNAUTHORIZED', 'too many failed AUTH attempts; closing'), true)
      if (this.#authenticated) return reply(await this.handle(text, this.#scope))
      return await this.#authenticate(text)
    } catch (err) {
      // A bug or a broken disk: the operator's log says which; the client learns no paths.
      console.error('upload failed unexpectedly:', err)
      return reply(fail(null, 'INTERNAL', 'the upload failed unexpectedly; try again'))
    }
  }

  async #authenticate(text: string): Promise<UploadReply> {
    const parsed = parseUploadMessage(text)
    if (!parsed.ok || parsed.message.type !== 'AUTH')
      return reply(fail(null, 'UNAUTHORIZED', 'authenticate first: send AUTH with a token'))
    let valid: boolean | UploadScope | undefined
    try {
      valid = await this.options.checkToken(parsed.message.payload.token)
    } catch {
      return reply(fail(null, 'UNAUTHORIZED', 'could not check the token; try again'))
    }
    if (valid) {
      this.#authenticated = true
      if (typeof valid === 'function') this.#scope = valid
      return reply([{ type: 'AUTH_OK', payload: {} }])
    }
    this.#failures++
    const closing = this.#failures >= MAX_AUTH_FAILURES
    const error = closing ? 'invalid token; too many failed attempts, closing' : 'invalid token'
    return reply(fail(null, 'UNAUTHORIZED', error), closing)
  }
}

const reply = (messages: Out, close = false): UploadReply => ({
  replies: messages.map(encodeUploadMessage),
  close,
})

function progress(session: Session): UploadServerMessage {
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

const fileComplete = (session: Session): UploadServerMessage => ({
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
function groupMismatch(group: Group, start: FileUploadStart['payload']): string | undefined {
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
function sameFile(a: FileUploadStart['payload'], b: FileUploadStart['payload']): boolean {
  return (
    a.file_index === b.file_index &&
    a.total_size === b.total_size &&
    a.total_chunks === b.total_chunks &&
    a.chunk_size === b.chunk_size &&
    a.sha256?.toLowerCase() === b.sha256?.toLowerCase() &&
    a.executable === b.executable
  )
}
