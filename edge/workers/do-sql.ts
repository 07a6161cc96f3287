/**
 * The core's `Sql` on Durable Object SQLite (`ctx.storage.sql`). Both are synchronous. A Durable
 * Object holds back its outgoing messages and responses until the writes before them are durable
 * (output gates), so `durable()` has nothing left to wait for.
 */
import type { Sql, SqlValue } from '../core/store/sql'

const bind = (params: SqlValue[]) =>
  params.map((p) => (typeof p === 'bigint' ? Number(p) : p instanceof Uint8Array ? copy(p) : p))

/** DO SQL binds blobs as ArrayBuffer; a view's bytes are copied out of whatever buffer holds them. */
const copy = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer

export function doSql(storage: DurableObjectStorage): Sql {
  const { sql } = storage
  return {
    all: <T>(query: string, ...params: SqlValue[]) =>
      sql.exec(query, ...bind(params)).toArray() as T[],
    get: <T>(query: string, ...params: SqlValue[]) => {
      // Drain the cursor: an UPDATE … RETURNING must run to its end to write every row.
      const rows = sql.exec(query, ...bind(params)).toArray()
      return rows[0] as T | undefined
    },
    run: (query: string, ...params: SqlValue[]) => {
      const cursor = sql.exec(query, ...bind(params))
      for (const _ of cursor) {
        // Statements with RETURNING produce rows; writing happens as they are read.
      }
      return cursor.rowsWritten
    },
    transaction: <T>(fn: () => T) => storage.transactionSync(fn),
    durable: () => Promise.resolve(),
  }
}
