/** Issued API tokens: the JWT is the credential; this keeps its id and scope to list and revoke. */
import type { Sql } from '../store/sql'
import type { Right } from './principal'

export interface TokenRecord {
  id: string
  name: string
  namespaces: string[]
  rights: Right[]
  created_at: number
  expires_at: number | null
  revoked_at: number | null
}

interface Row extends Omit<TokenRecord, 'namespaces' | 'rights'> {
  namespaces: string
  rights: string
}

const fromRow = (row: Row): TokenRecord => ({
  ...row,
  namespaces: JSON.parse(row.namespaces) as string[],
  rights: JSON.parse(row.rights) as Right[],
})

export class TokenStore {
  constructor(private readonly sql: Sql) {}

  insert(record: TokenRecord): void {
    this.sql.run(
      `INSERT INTO api_tokens (id, name, namespaces, rights, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      record.id,
      record.name,
      JSON.stringify(record.namespaces),
      JSON.stringify(record.rights),
      record.created_at,
      record.expires_at,
      record.revoked_at,
    )
  }

  get(id: string): TokenRecord | undefined {
    const row = this.sql.get<Row>('SELECT * FROM api_tokens WHERE id = ?', id)
    return row && fromRow(row)
  }

  list(): TokenRecord[] {
    return this.sql.all<Row>('SELECT * FROM api_tokens ORDER BY created_at DESC').map(fromRow)
  }

  /** True when it was active and is now revoked. */
  revoke(id: string, now = Date.now()): boolean {
    return (
      this.sql.run(
        'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
        now,
        id,
      ) > 0
    )
  }
}
