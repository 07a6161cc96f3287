/**
 * Files on disk under `{dataDir}/storage/{ns}/{path}`. Uploads stream into a temporary file and
 * are renamed into place only when complete, so a reader never sees part of one; a symlink found
 * anywhere along a path is refused, so nothing outside a namespace is read or written even if the
 * directory was tampered with. Paths arrive already checked (storage-path.ts).
 */
import { createHash, randomUUID } from 'node:crypto'
import { constants, createWriteStream } from 'node:fs'
import { chmod, lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web'
import {
  FileTooLargeError,
  PathConflictError,
  type ByteRange,
  type FileStore,
  type WriteResult,
} from '../core/storage/file-store'
import { leavesBase, PathError } from '../core/storage/storage-path'

export class DiskFileStore implements FileStore {
  private readonly uploads: string

  /** `mode`: permissions for stored files (service executables are stored 0755). */
  constructor(
    private readonly root: string,
    private readonly mode?: number,
  ) {
    this.uploads = path.join(root, '.uploads')
  }

  /** Clears uploads a crash left half-written; call once at start. */
  async init(): Promise<void> {
    await rm(this.uploads, { recursive: true, force: true })
    await mkdir(this.uploads, { recursive: true })
  }

  async write(
    ns: string,
    file: string,
    body: ReadableStream<Uint8Array>,
    maxBytes: number,
  ): Promise<WriteResult> {
    const target = await this.resolve(ns, file)
    const temp = path.join(this.uploads, randomUUID())
    const hash = createHash('sha256')
    let size = 0
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length
        if (size > maxBytes) return done(new FileTooLargeError(maxBytes))
        hash.update(chunk)
        done(null, chunk)
      },
    })
    try {
      await pipeline(
        Readable.fromWeb(body as NodeWebReadableStream<Uint8Array>),
        meter,
        createWriteStream(temp, { flags: 'wx' }),
      )
      await this.makeParents(ns, file)
      if (this.mode !== undefined) await chmod(temp, this.mode)
      await rename(temp, target)
    } catch (err) {
      await unlink(temp).catch(() => {})
      if (isCode(err, 'EISDIR') || isCode(err, 'ENOTDIR') || isCode(err, 'EEXIST')) {
        throw new PathConflictError(
          `'${file}' is in the way of a file or directory of the same name`,
        )
      }
      throw err
    }
    return { size, sha256: hash.digest('hex') }
  }

  async read(
    ns: string,
    file: string,
    range?: ByteRange,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const target = await this.resolve(ns, file)
    let handle
    try {
      // O_NOFOLLOW: the last component may not be a symlink either.
      handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ELOOP') || isCode(err, 'EISDIR')) return undefined
      throw err
    }
    // The FileHandle's own stream closes the handle: a raw fd closed by a stream would be closed
    // again when the FileHandle is garbage-collected, which Node reports as a fatal EBADF.
    const stream = handle.createReadStream({
      autoClose: true,
      ...(range && { start: range.start, end: range.end }),
    })
    return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>
  }

  async remove(ns: string, file: string): Promise<void> {
    const target = await this.resolve(ns, file)
    await unlink(target).catch((err: unknown) => {
      if (!isCode(err, 'ENOENT')) throw err
    })
  }

  /** The file's location, after checking that no directory on the way is a symlink. */
  private async resolve(ns: string, file: string): Promise<string> {
    const base = path.join(this.root, ns)
    const target = path.join(base, ...file.split('/'))
    const relative = path.relative(base, target)
    if (leavesBase(relative, path.sep) || path.isAbsolute(relative))
      throw new PathError('path leaves its namespace')
    let current = this.root
    for (const part of [ns, ...file.split('/').slice(0, -1)]) {
      current = path.join(current, part)
      const stat = await lstat(current).catch(() => undefined)
      if (!stat) break
      if (stat.isSymbolicLink()) throw new PathError('path goes through a symbolic link')
      if (!stat.isDirectory())
        throw new PathConflictError(`'${path.relative(base, current)}' is a file`)
    }
    return target
  }

  private async makeParents(ns: string, file: string): Promise<void> {
    await mkdir(path.dirname(path.join(this.root, ns, ...file.split('/'))), { recursive: true })
  }
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code
}
