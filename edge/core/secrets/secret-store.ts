/** Secrets at rest: one row per namespace and name, the value sealed (see secret-box.ts). */
import type { Sql } from '../store/sql'

/** What anyone may see of a secret: never its value. */
export interface SecretInfo {
  name: string
  created_at: number
  updated_at: number
}

interface Row extends SecretInfo {
  sealed: string
}

export class SecretStore {
  constructor(private readonly sql: Sql) {}

  /** Inserts or replaces; true when it was new. */
  put(namespace: string, name: string, sealed: string, now: number): boolean {
    const existing = this.info(namespace, name)
    if (existing) {
      this.sql.run(
        'UPDATE secrets SET sealed = ?, updated_at = ? WHERE namespace = ? AND name = ?',
        sealed,
        now,
        namespace,
        name,
      )
      return false
    }
    this.sql.run(
      'INSERT INTO secrets (namespace, name, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      namespace,
      name,
      sealed,
      now,
      now,
    )
    return true
  }

  info(namespace: string, name: string): SecretInfo | undefined {
    return this.sql.get<SecretInfo>(
      'SELECT name, created_at, updated_at FROM secrets WHERE namespace = ? AND name = ?',
      namespace,
      name,
    )
  }

  list(namespace: string): SecretInfo[] {
    return this.sql.all<SecretInfo>(
      'SELECT name, created_at, updated_at FROM secrets WHERE namespace = ? ORDER BY name',
      namespace,
    )
  }

  count(namespace: string): number {
    return (
      this.sql.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM secrets WHERE namespace = ?',
        namespace,
      )?.n ?? 0
    )
  }

  /** The sealed values of these names that exist. */
  sealed(namespace: string, names: readonly string[]): Map<string, string> {
    const found = new Map<string, string>()
    for (const name of names) {
      const row = this.sql.get<Pick<Row, 'sealed'>>(
        'SELECT sealed FROM secrets WHERE namespace = ? AND name = ?',
        namespace,
        name,
      )
      if (row) found.set(name, row.sealed)
    }
    return found
  }

  delete(namespace: string, name: string): boolean {
    return this.sql.run('DELETE FROM secrets WHERE namespace = ? AND name = ?', namespace, name) > 0
  }
}
