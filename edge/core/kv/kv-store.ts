/**
 * The per-namespace key-value database. Every query is scoped by namespace, so one namespace never
 * sees another's keys; values are JSON; a key may expire (`ttl`).
 */
import type { JsonValue } from '../../../shared/json'
import type { Sql } from '../store/sql'
import { prefixEnd } from '../util/prefix'

export interface KvEntry {
  key: string
  value: JsonValue
  expires_at: number | null
}

export interface KvPage {
  keys: string[]
  /** Pass back as `cursor` for the next page; null on the last one. */
  cursor: string | null
}

export class KvStore {
  constructor(private readonly sql: Sql) {}

  get(ns: string, key: string, now = Date.now()): KvEntry | undefined {
    const row = this.sql.get<{ value: string; expires_at: number | null }>(
      'SELECT value, expires_at FROM kv WHERE ns = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)',
      ns,
      key,
      now,
    )
    return row && { key, value: JSON.parse(row.value) as JsonValue, expires_at: row.expires_at }
  }

  /** Stores `json` (already serialized and size-checked by the caller). */
  set(
    ns: string,
    key: string,
    json: string,
    ttlSeconds: number | undefined,
    now = Date.now(),
  ): void {
    const expires = ttlSeconds === undefined ? null : now + Math.round(ttlSeconds * 1000)
    this.sql.run(
      `INSERT INTO kv (ns, key, value, expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
      ns,
      key,
      json,
      expires,
      now,
    )
  }

  /** True when the key existed (and had not expired). */
  delete(ns: string, key: string, now = Date.now()): boolean {
    const existed = this.get(ns, key, now) !== undefined
    this.sql.run('DELETE FROM kv WHERE ns = ? AND key = ?', ns, key)
    return existed
  }

  /** Keys in order that begin with `prefix`, after `cursor` when paging. */
  list(
    ns: string,
    prefix: string,
    limit: number,
    cursor: string | undefined,
    now = Date.now(),
  ): KvPage {
    const after = cursor !== undefined && cursor >= prefix ? cursor : undefined
    const rows = this.sql.all<{ key: string }>(
      `SELECT key FROM kv WHERE ns = ? AND key ${after === undefined ? '>=' : '>'} ? AND key < ?
         AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?`,
      ns,
      after ?? prefix,
      prefixEnd(prefix),
      now,
      limit + 1,
    )
    const page = rows.slice(0, limit).map((r) => r.key)
    return { keys: page, cursor: rows.length > limit ? (page.at(-1) ?? null) : null }
  }

  /** Removes expired keys; returns how many. */
  sweep(now = Date.now()): number {
    return this.sql.run('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?', now)
  }
}
