/** What the core knows about stored files, in SQL: listing, ETags, content types. */
import type { Sql } from '../store/sql'
import { prefixEnd } from '../util/prefix'
import { VisibilityRules, type Visibility } from './visibility'

export interface FileInfo {
  path: string
  size: number
  etag: string
  content_type: string
  updated_at: number
  /** The file's own visibility; null when it follows its namespace's rules (storage/visibility.ts). */
  visibility: Visibility | null
}

const COLUMNS = 'path, size, etag, content_type, updated_at, visibility'

export class FileIndex {
  /** Per-namespace visibility rules, kept beside the files they apply to. */
  readonly rules: VisibilityRules

  constructor(private readonly sql: Sql) {
    this.rules = new VisibilityRules(sql)
  }

  get(ns: string, path: string): FileInfo | undefined {
    return this.sql.get<FileInfo>(
      `SELECT ${COLUMNS} FROM files WHERE ns = ? AND path = ?`,
      ns,
      path,
    )
  }

  put(ns: string, info: FileInfo): void {
    this.sql.run(
      `INSERT INTO files (${COLUMNS}, ns) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ns, path) DO UPDATE SET size = excluded.size, etag = excluded.etag,
         content_type = excluded.content_type, updated_at = excluded.updated_at,
         visibility = excluded.visibility`,
      info.path,
      info.size,
      info.etag,
      info.content_type,
      info.updated_at,
      info.visibility,
      ns,
    )
  }

  /** Bytes a namespace's files take: a range of the primary key (ns, path), one namespace long. */
  totalSize(ns: string): number {
    return (
      this.sql.get<{ n: number }>('SELECT COALESCE(SUM(size), 0) AS n FROM files WHERE ns = ?', ns)
        ?.n ?? 0
    )
  }

  remove(ns: string, path: string): boolean {
    return this.sql.run('DELETE FROM files WHERE ns = ? AND path = ?', ns, path) > 0
  }

  /** Paths in order that start with `prefix`, after `cursor` when paging. */
  list(
    ns: string,
    prefix: string,
    limit: number,
    cursor?: string,
  ): { files: FileInfo[]; cursor: string | null } {
    const after = cursor !== undefined && cursor >= prefix
    const rows = this.sql.all<FileInfo>(
      `SELECT ${COLUMNS} FROM files
       WHERE ns = ? AND path ${after ? '>' : '>='} ? AND path < ? ORDER BY path LIMIT ?`,
      ns,
      after ? (cursor as string) : prefix,
      prefixEnd(prefix),
      limit + 1,
    )
    const page = rows.slice(0, limit)
    return { files: page, cursor: rows.length > limit ? (page.at(-1)?.path ?? null) : null }
  }

  /** True when some stored file lives under `dir/` (so `dir` is a directory). */
  isDirectory(ns: string, dir: string): boolean {
    const prefix = `${dir}/`
    const row = this.sql.get<{ one: number }>(
      'SELECT 1 AS one FROM files WHERE ns = ? AND path >= ? AND path < ? LIMIT 1',
      ns,
      prefix,
      prefixEnd(prefix),
    )
    return row !== undefined
  }
}
