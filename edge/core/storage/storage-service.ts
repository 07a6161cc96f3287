/** Storing, serving and listing a namespace's files: the rules shared by the API and /static. */
import mime from 'mime'
import { HttpError } from '../http-error'
import { NamespaceTally } from '../limits/namespace-tally'
import { StorageQuota } from '../limits/storage-quota'
import type { StorageOp } from '../observability/metrics'
import type { FileIndex, FileInfo } from './file-index'
import { FileTooLargeError, PathConflictError, type ByteRange, type FileStore } from './file-store'
import { checkStoragePath } from './storage-path'

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
   */
  async put(
    ns: string,
    path: string,
    body: ReadableStream<Uint8Array>,
    declaredSize?: number,
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
    const info: FileInfo = {
      path,
      size: written.size,
      etag: written.sha256,
      content_type: contentType(path),
      updated_at: Date.now(),
    }
    // Nothing is awaited from here on, so the quota's count and the index move together.
    claim?.commit(info.size, this.index.get(ns, path)?.size ?? 0)
    this.index.put(ns, info)
    return info
  }

  info(ns: string, path: string): FileInfo | undefined {
    checkStoragePath(path)
    return this.index.get(ns, path)
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
