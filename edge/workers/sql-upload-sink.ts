/**
 * Upload parts in the room's SQLite until their group completes: one row per appended piece, read
 * back in order. Sessions live in memory, so parts an earlier instance left are cleared at start.
 */
import type { Sql } from '../core/store/sql'
import type { UploadSink } from '../core/services/upload-sessions'

/** DO SQLite refuses values over 2 MB; pieces are split below that. */
const ROW_BYTES = 1024 * 1024

export class SqlUploadSink implements UploadSink {
  constructor(private readonly sql: Sql) {
    sql.run(
      `CREATE TABLE IF NOT EXISTS upload_parts (
         session_id TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL,
         PRIMARY KEY (session_id, seq)) WITHOUT ROWID`,
    )
    sql.run('DELETE FROM upload_parts')
  }

  async append(sessionId: string, bytes: Uint8Array): Promise<void> {
    const last = this.sql.get<{ seq: number | null }>(
      'SELECT MAX(seq) AS seq FROM upload_parts WHERE session_id = ?',
      sessionId,
    )
    let seq = (last?.seq ?? 0) + 1
    for (let at = 0; at < bytes.byteLength; at += ROW_BYTES)
      this.sql.run(
        'INSERT INTO upload_parts (session_id, seq, bytes) VALUES (?, ?, ?)',
        sessionId,
        seq++,
        bytes.subarray(at, at + ROW_BYTES),
      )
  }

  async size(sessionId: string): Promise<number> {
    const row = this.sql.get<{ size: number | null }>(
      'SELECT SUM(length(bytes)) AS size FROM upload_parts WHERE session_id = ?',
      sessionId,
    )
    return row?.size ?? 0
  }

  async read(sessionId: string): Promise<ReadableStream<Uint8Array>> {
    const sql = this.sql
    let after = 0
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const row = sql.get<{ seq: number; bytes: ArrayBuffer | Uint8Array }>(
          'SELECT seq, bytes FROM upload_parts WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT 1',
          sessionId,
          after,
        )
        if (!row) return controller.close()
        after = row.seq
        controller.enqueue(row.bytes instanceof Uint8Array ? row.bytes : new Uint8Array(row.bytes))
      },
    })
  }

  async discard(sessionId: string): Promise<void> {
    this.sql.run('DELETE FROM upload_parts WHERE session_id = ?', sessionId)
  }
}
