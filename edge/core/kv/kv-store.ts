/**
 * The per-namespace key-value database. Every query is scoped by namespace, so one namespace never
 * sees another's keys; values are JSON; a key may expire (`ttl`).
 */
import type { JsonValue } from '../../../shared/protocol/json'
import { NamespaceTally } from '../limits/namespace-tally'
import { QuotaExceededError } from '../limits/quota-error'
import type { KvOp } from '../observability/metrics'
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
  /** Rows per namespace (expired ones too, until swept); kept only while there is a quota. */
  private readonly keys: NamespaceTally

  constructor(
    private readonly sql: Sql,
    /** Told of every operation, for metrics. */
    private readonly count: (op: KvOp) => void = () => {},
    /** Keys one namespace may hold; 0 for no quota. */
    readonly maxKeys = 0,
  ) {
    // The primary key (ns, key) makes this a range read of one namespace, once per namespace.
    this.keys = new NamespaceTally(
      (ns) => this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM kv WHERE ns = ?', ns)?.n ?? 0,
    )
  }

  get(ns: string, key: string, now = Date.now()): KvEntry | undefined {
    this.count('get')
    return this.find(ns, key, now)
  }

  private find(ns: string, key: string, now: number): KvEntry | undefined {
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
    this.count('set')
    const adds = this.maxKeys > 0 && !this.has(ns, key)
    if (adds) this.checkRoom(ns, now)
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
    if (adds) this.keys.add(ns, 1)
  }

  /** True when the key existed (and had not expired). */
  delete(ns: string, key: string, now = Date.now()): boolean {
    this.count('delete')
    const existed = this.find(ns, key, now) !== undefined
    const removed = this.sql.run('DELETE FROM kv WHERE ns = ? AND key = ?', ns, key)
    if (this.maxKeys > 0) this.keys.add(ns, -removed)
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
    this.count('list')
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
    const removed = this.sql.run(
      'DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?',
      now,
    )
    // Which namespaces lost keys is not known here: count again when next asked.
    if (removed > 0) this.keys.clear()
    return removed
  }

  /** Whether a row for the key exists, expired or not (then an upsert adds no key). */
  private has(ns: string, key: string): boolean {
    return this.sql.get('SELECT 1 AS one FROM kv WHERE ns = ? AND key = ?', ns, key) !== undefined
  }

  /** Throws unless the namespace has room for one more key; expired keys are swept to make it. */
  private checkRoom(ns: string, now: number): void {
    if (this.keys.get(ns) < this.maxKeys) return
    if (this.sweep(now) > 0 && this.keys.get(ns) < this.maxKeys) return
    throw new QuotaExceededError(
      'kv_keys',
      this.maxKeys,
      `namespace '${ns}' may hold at most ${this.maxKeys} keys and holds ${this.keys.get(ns)}: delete some, or give keys you need not keep a ttl`,
    )
  }
}
