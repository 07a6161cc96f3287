/**
 * The storage seam: hosts keep the bytes (files on disk under the data directory on Node, R2 on
 * Workers); the core keeps what is known about them (size, ETag, type) in SQL, which makes
 * listings fast and gives every read a consistent view.
 */

export interface WriteResult {
  size: number
  /** Hex SHA-256 of the content, the file's ETag. */
  sha256: string
}

export interface ByteRange {
  start: number
  /** Inclusive. */
  end: number
}

export interface FileStore {
  /**
   * Stores a stream as `path`, atomically: readers see the old file or the whole new one, never a
   * part. Rejects with FileTooLargeError past `maxBytes`, leaving nothing behind.
   */
  write(
    ns: string,
    path: string,
    body: ReadableStream<Uint8Array>,
    maxBytes: number,
  ): Promise<WriteResult>
  /** The bytes (or a range of them); undefined when the file is gone. */
  read(ns: string, path: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | undefined>
  remove(ns: string, path: string): Promise<void>
}

export class FileTooLargeError extends Error {
  override name = 'FileTooLargeError'
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`)
  }
}

/** A path already used in the other role: a file where a directory is needed, or the reverse. */
export class PathConflictError extends Error {
  override name = 'PathConflictError'
}
