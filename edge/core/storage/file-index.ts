/** What the core knows about stored files, in SQL: listing, ETags, content types. */
import type { Sql } from '../store/sql'
import { prefixEnd } from '../util/prefix'

export interface FileInfo {
  path: string
  size: number
  etag: string
  content_type: string
  updated_at: number
}

export class FileIndex {
  constructor(private readonly sql: Sql) {}

  get(ns: string, path: string): FileInfo | undefined {
    return this.sql.get<FileInfo>(
      'SELECT path, size, etag, content_type, updated_at FROM files WHERE ns = ? AND path = ?',
      ns,
      path,
    )
  }

  put(ns: string, info: FileInfo): void {
    this.sql.run(
      `INSERT INTO files (ns, path, size, etag, content_type, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (ns, path) DO UPDATE SET size = excluded.size, etag = excluded.etag,
         content_type = excluded.content_type, updated_at = excluded.updated_at`,
      ns,
      info.path,
      info.size,
      info.etag,
      info.content_type,
      info.updated_at,
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
      `SELECT path, size, etag, content_type, updated_at FROM files
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
