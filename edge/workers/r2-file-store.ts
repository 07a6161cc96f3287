/**
 * Files in R2 under `{prefix}/{ns}/{path}`. A body is hashed and metered as it streams; small
 * files go up in one `put`, larger ones as a multipart upload that is completed only when the
 * whole body arrived within the limit (aborted otherwise), so readers never see part of a file.
 * R2 has no directories: a file where a directory is needed (or the reverse) is refused here, as
 * the file system refuses it on Node.
 */
import { Sha256 } from '../../shared/protocol/sha256-stream'
import {
  FileTooLargeError,
  PathConflictError,
  type ByteRange,
  type FileStore,
  type WriteResult,
} from '../core/storage/file-store'

/** R2 parts must be at least 5 MiB (but the last); 8 MiB keeps memory small and calls few. */
const PART_BYTES = 8 * 1024 * 1024

export class R2FileStore implements FileStore {
  constructor(
    private readonly bucket: R2Bucket,
    private readonly prefix: string,
  ) {}

  private key(ns: string, path: string): string {
    return `${this.prefix}/${ns}/${path}`
  }

  async write(
    ns: string,
    path: string,
    body: ReadableStream<Uint8Array>,
    maxBytes: number,
  ): Promise<WriteResult> {
    await this.checkShape(ns, path)
    const key = this.key(ns, path)
    const hash = new Sha256()
    let size = 0
    let part = new Uint8Array(PART_BYTES)
    let filled = 0
    let upload: R2MultipartUpload | undefined
    const parts: R2UploadedPart[] = []
    const flush = async () => {
      upload ??= await this.bucket.createMultipartUpload(key)
      parts.push(await upload.uploadPart(parts.length + 1, part.slice(0, filled)))
      part = new Uint8Array(PART_BYTES)
      filled = 0
    }
    try {
      const reader = body.getReader()
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        let chunk = read.value
        size += chunk.byteLength
        if (size > maxBytes) {
          await reader.cancel()
          throw new FileTooLargeError(maxBytes)
        }
        hash.update(chunk)
        while (chunk.byteLength > 0) {
          const take = Math.min(chunk.byteLength, PART_BYTES - filled)
          part.set(chunk.subarray(0, take), filled)
          filled += take
          chunk = chunk.subarray(take)
          if (filled === PART_BYTES) await flush()
        }
      }
      const sha256 = hash.hex()
      if (!upload) {
        await this.bucket.put(key, part.slice(0, filled), { sha256 })
      } else {
        if (filled > 0) await flush()
        await upload.complete(parts)
      }
      return { size, sha256 }
    } catch (err) {
      await upload?.abort().catch(() => {})
      throw err
    }
  }

  async read(
    ns: string,
    path: string,
    range?: ByteRange,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const object = await this.bucket.get(
      this.key(ns, path),
      range && { range: { offset: range.start, length: range.end - range.start + 1 } },
    )
    return object?.body ?? undefined
  }

  async remove(ns: string, path: string): Promise<void> {
    await this.bucket.delete(this.key(ns, path))
  }

  /** A parent that is a file, or a path that is a directory, is in the way. */
  private async checkShape(ns: string, path: string): Promise<void> {
    const segments = path.split('/')
    const parents = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'))
    const heads = await Promise.all(parents.map((p) => this.bucket.head(this.key(ns, p))))
    const below = await this.bucket.list({ prefix: `${this.key(ns, path)}/`, limit: 1 })
    if (heads.some(Boolean) || below.objects.length > 0)
      throw new PathConflictError(`'${path}' is in the way of a file or directory of the same name`)
  }
}
