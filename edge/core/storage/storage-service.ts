/**
 * Storing, serving and listing a namespace's files: the rules shared by the API and /static,
 * including which files are private (see visibility.ts).
 */
import mime from 'mime'
import { HttpError } from '../http-error'
import { NamespaceTally } from '../limits/namespace-tally'
import { StorageQuota } from '../limits/storage-quota'
import type { StorageOp } from '../observability/metrics'
import type { FileIndex, FileInfo } from './file-index'
import { FileTooLargeError, PathConflictError, type ByteRange, type FileStore } from './file-store'
import { checkStoragePath, PathError } from './storage-path'
import { visibilityOf, type Visibility, type VisibilityRule } from './visibility'

export class StorageService {
  private readonly quota: StorageQuota

  constructor(
    readonly index: FileIndex,
    private readonly store: FileStore,
    private readonly maxUploadBytes: number,
    /** Told of every put, read, removal and listing, for metrics. */
    private readonly count: (op: StorageOp) => void = () => {},
    /** Bytes one namespace may store; 0 for no quota. */
    maxNamespaceBytes = 0,
  ) {
    this.quota = new StorageQuota(
      maxNamespaceBytes,
      new NamespaceTally((ns) => index.totalSize(ns)),
    )
  }

  /**
   * Streams `body` into `path`. `declaredSize` (the Content-Length) lets an upload that cannot fit
   * the namespace's quota be refused before it is read; one that turns out not to fit is cut off.
   * `visibility` sets the file's own; left out, a file put again keeps what it had (so replacing a
   * private file never makes it public), and `inherit` hands it back to the namespace's rules.
   */
  async put(
    ns: string,
    path: string,
    body: ReadableStream<Uint8Array>,
    declaredSize?: number,
    visibility?: Visibility | 'inherit',
  ): Promise<FileInfo> {
    checkStoragePath(path)
    this.count('put')
    this.checkNoConflict(ns, path)
    const claim = this.quota.enabled
      ? this.quota.claim(ns, body, this.index.get(ns, path)?.size ?? 0, declaredSize)
      : undefined
    let written
    try {
      written = await this.store.write(ns, path, claim?.body ?? body, this.maxUploadBytes)
    } catch (err) {
      claim?.release()
      if (err instanceof FileTooLargeError) {
        throw new HttpError(
          413,
          'FILE_TOO_LARGE',
          `the file is larger than the ${err.maxBytes}-byte limit`,
        )
      }
      if (err instanceof PathConflictError) throw new HttpError(409, 'PATH_CONFLICT', err.message)
      throw err
    }
    // Nothing is awaited from here on, so the quota's count and the index move together.
    const before = this.index.get(ns, path)
    const info: FileInfo = {
      path,
      size: written.size,
      etag: written.sha256,
      content_type: contentType(path),
      updated_at: Date.now(),
      visibility:
        visibility === undefined
          ? (before?.visibility ?? null)
          : visibility === 'inherit'
            ? null
            : visibility,
    }
    claim?.commit(info.size, before?.size ?? 0)
    this.index.put(ns, info)
    return info
  }

  info(ns: string, path: string): FileInfo | undefined {
    checkStoragePath(path)
    return this.index.get(ns, path)
  }

  /** The file, if it exists and anyone may read it; a private file is as absent as a missing one. */
  publicInfo(ns: string, path: string): FileInfo | undefined {
    const info = this.info(ns, path)
    return info && this.visibility(ns, info) === 'public' ? info : undefined
  }

  /** What applies to a stored file (its own setting, else its namespace's rules). */
  visibility(ns: string, info: FileInfo, rules?: readonly VisibilityRule[]): Visibility {
    return info.visibility ?? visibilityOf(null, info.path, rules ?? this.index.rules.list(ns))
  }

  /** The namespace's visibility rules, by prefix. */
  rules(ns: string): VisibilityRule[] {
    return this.index.rules.list(ns)
  }

  /** Makes everything under `prefix` (a directory path ending in "/", or "") public or private. */
  setRule(ns: string, rule: VisibilityRule): void {
    checkRulePrefix(rule.prefix)
    this.index.rules.set(ns, rule)
  }

  removeRule(ns: string, prefix: string): boolean {
    checkRulePrefix(prefix)
    return this.index.rules.remove(ns, prefix)
  }

  read(
    ns: string,
    path: string,
    range?: ByteRange,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    this.count('get')
    return this.store.read(ns, path, range)
  }

  /** A page of a namespace's file paths that begin with `prefix`. */
  list(ns: string, prefix: string, limit: number, cursor?: string) {
    this.count('list')
    return this.index.list(ns, prefix, limit, cursor)
  }

  async remove(ns: string, path: string): Promise<boolean> {
    checkStoragePath(path)
    this.count('delete')
    const size = this.quota.enabled ? this.index.get(ns, path)?.size : undefined
    if (!this.index.remove(ns, path)) return false
    if (size !== undefined) this.quota.removed(ns, size)
    await this.store.remove(ns, path)
    return true
  }

  /** A file cannot sit where a directory is, nor under another file. */
  private checkNoConflict(ns: string, path: string): void {
    if (this.index.isDirectory(ns, path))
      throw new HttpError(409, 'PATH_CONFLICT', `'${path}' is a directory; choose another name`)
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/')
      if (this.index.get(ns, ancestor))
        throw new HttpError(
          409,
          'PATH_CONFLICT',
          `'${ancestor}' is a file, so it cannot contain '${path}'`,
        )
    }
  }
}

/** "" or a directory path: safe segments, then a "/". */
function checkRulePrefix(prefix: string): void {
  if (prefix === '') return
  if (!prefix.endsWith('/')) throw new PathError('a rule prefix must end with "/"')
  checkStoragePath(prefix.slice(0, -1))
}

/** The type a browser should see, from a maintained table; text gets an explicit charset. */
export function contentType(path: string): string {
  const type = mime.getType(path) ?? 'application/octet-stream'
  return type.startsWith('text/') ||
    type === 'application/javascript' ||
    type === 'application/json' ||
    type.endsWith('+xml')
    ? `${type}; charset=utf-8`
    : type
}
