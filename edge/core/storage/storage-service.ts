/** Storing, serving and listing a namespace's files: the rules shared by the API and /static. */
import mime from 'mime'
import { HttpError } from '../http-error'
import type { FileIndex, FileInfo } from './file-index'
import { FileTooLargeError, PathConflictError, type ByteRange, type FileStore } from './file-store'
import { checkStoragePath } from './storage-path'

export class StorageService {
  constructor(
    readonly index: FileIndex,
    private readonly store: FileStore,
    private readonly maxUploadBytes: number,
  ) {}

  async put(ns: string, path: string, body: ReadableStream<Uint8Array>): Promise<FileInfo> {
    checkStoragePath(path)
    this.checkNoConflict(ns, path)
    let written
    try {
      written = await this.store.write(ns, path, body, this.maxUploadBytes)
    } catch (err) {
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
    return this.store.read(ns, path, range)
  }

  async remove(ns: string, path: string): Promise<boolean> {
    checkStoragePath(path)
    if (!this.index.remove(ns, path)) return false
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
