/** Upload parts on disk (`{dataDir}/uploads/{session}.part`) until their group completes. */
import { createReadStream } from 'node:fs'
import { appendFile, mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { UploadSink } from '../core/services/upload-sessions'

export class DiskUploadSink implements UploadSink {
  constructor(private readonly dir: string) {}

  /** Sessions live in memory, so parts a previous process left are of no use: clear them. */
  async init(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true })
  }

  async append(sessionId: string, bytes: Uint8Array): Promise<void> {
    await appendFile(this.part(sessionId), bytes)
  }

  async size(sessionId: string): Promise<number> {
    return stat(this.part(sessionId)).then(
      (s) => s.size,
      () => 0,
    )
  }

  async read(sessionId: string): Promise<ReadableStream<Uint8Array>> {
    return Readable.toWeb(
      createReadStream(this.part(sessionId)),
    ) as unknown as ReadableStream<Uint8Array>
  }

  async discard(sessionId: string): Promise<void> {
    await rm(this.part(sessionId), { force: true })
  }

  private part(sessionId: string): string {
    // Session ids are the manager's own UUIDs; refuse anything else outright.
    if (!/^[A-Za-z0-9-]{1,64}$/.test(sessionId)) throw new Error('bad session id')
    return path.join(this.dir, `${sessionId}.part`)
  }
}
