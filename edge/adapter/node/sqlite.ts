/** The core's `Sql` on better-sqlite3: WAL, prepared statements cached by text. */
import Database from 'better-sqlite3'
import type { Sql, SqlValue } from '../../core/store/sql'

export interface SqliteDatabase extends Sql {
  close(): void
  integrityCheck(): string
}

export function openSqlite(file: string): SqliteDatabase {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // NORMAL survives a process crash (kill -9): committed transactions are in the WAL in the OS cache.
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  const statements = new Map<string, Database.Statement>()
  const prepare = (query: string) => {
    let statement = statements.get(query)
    if (!statement) statements.set(query, (statement = db.prepare(query)))
    return statement
  }
  return {
    all: <T>(query: string, ...params: SqlValue[]) => prepare(query).all(...params) as T[],
    get: <T>(query: string, ...params: SqlValue[]) =>
      prepare(query).get(...params) as T | undefined,
    run: (query: string, ...params: SqlValue[]) => prepare(query).run(...params).changes,
    transaction: <T>(fn: () => T) => db.transaction(fn)(),
    close: () => db.close(),
    integrityCheck: () => String(db.pragma('integrity_check', { simple: true })),
  }
}
