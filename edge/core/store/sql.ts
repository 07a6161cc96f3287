/**
 * The one storage seam both hosts share: synchronous SQL. better-sqlite3 on Node and Durable Object
 * SQLite (`ctx.storage.sql`) on Workers are both synchronous, so the core needs no async store.
 */
export type SqlValue = string | number | bigint | null | Uint8Array

export interface Sql {
  all<T>(query: string, ...params: SqlValue[]): T[]
  get<T>(query: string, ...params: SqlValue[]): T | undefined
  /** Runs a statement; returns the number of rows changed. */
  run(query: string, ...params: SqlValue[]): number
  transaction<T>(fn: () => T): T
  /**
   * Resolves once every write made so far is durable. Hosts may group writes into one commit
   * (Node commits once per event-loop turn; Durable Objects coalesce writes behind output gates),
   * so anything acknowledged to a caller must await this first. `urgent` asks for the commit now
   * rather than at the end of the turn, for waits that hold up work (a volunteer's next job).
   */
  durable(urgent?: boolean): Promise<void>
}

/** Applies each migration once, in order, recording progress in `_migrations`. */
export function migrate(sql: Sql, migrations: readonly string[]): void {
  sql.run(
    'CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  )
  const row = sql.get<{ v: number | null }>('SELECT MAX(version) AS v FROM _migrations')
  const applied = row?.v ?? 0
  migrations.forEach((migration, i) => {
    const version = i + 1
    if (version <= applied) return
    sql.transaction(() => {
      for (const statement of splitStatements(migration)) sql.run(statement)
      sql.run('INSERT INTO _migrations (version, applied_at) VALUES (?, ?)', version, Date.now())
    })
  })
}

function splitStatements(script: string): string[] {
  return script
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean)
}
