/**
 * Upload sessions for standalone-service files: chunks are checked (order, size, encoding), written
 * through a host-supplied sink and hashed as they arrive; a group of files becomes a service once every
 * file has ended. Sessions belong to the manager, not the socket, so a dropped connection resumes.
 */
import {
  parseUploadMessage,
  type FileUploadChunk,
  type FileUploadStart,
} from '../../../shared/protocol/upload-protocol'
import { Sha256 } from '../../../shared/protocol/sha256-stream'
import { MessageRate, type MessageRateSettings } from '../limits/message-rate'
import {
  openConnection,
  type ConnectionOptions,
  type UploadConnection,
  type UploadScope,
} from './upload-connection'
import {
  chunkBytes,
  fail,
  fileComplete,
  groupMismatch,
  progress,
  sameFile,
  startProblem,
  type Group,
  type Out,
  type Session,
} from './upload-group'
import type {
  CompleteGroup,
  UploadedFile,
  UploadSessionsOptions,
  UploadSink,
} from './upload-handoff'

// What the manager takes from its host and hands to the service layer is part of its API.
export type {
  CompleteGroup,
  UploadGroupDone,
  UploadSessionsOptions,
  UploadSink,
} from './upload-handoff'

const DEFAULT_TTL_MS = 60 * 60 * 1000

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
    return openConnection(
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
    const problem = startProblem(start, this.#maxFileBytes)
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
    const bytes = chunkBytes(session, chunk)
    if (!(bytes instanceof Uint8Array)) return bytes
    try {
      await this.#sink.append(session.id, bytes)
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
