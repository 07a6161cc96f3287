/**
 * A WASI job's in-memory `/tmp` with a budget. browser_wasi_shim's own files grow to whatever a
 * write asks for (an `fd_pwrite` at 1 GiB allocates and copies a gigabyte), so `/tmp` is built
 * from these classes instead: file bytes and names count against MAX_TMP_BYTES, entries against
 * MAX_TMP_ENTRIES and opened descriptors against MAX_OPENED_FILES, and what does not fit gets
 * ENOSPC (ENFILE for descriptors), which the guest sees as a full disk.
 */
import { Directory, Fd, Inode, OpenDirectory, wasi } from '@bjorn3/browser_wasi_shim'
import { MAX_OPENED_FILES, MAX_TMP_BYTES, MAX_TMP_ENTRIES } from './limits'

const { ERRNO_SUCCESS, ERRNO_NOSPC, ERRNO_NFILE, ERRNO_INVAL, ERRNO_EXIST } = wasi

/** What a job's `/tmp` holds, and whether it ever ran out of room (for the job's error message). */
export class TmpBudget {
  /** Bytes held (file capacity and names) as last counted plus growth since. */
  private bytes = 0
  private entries = 0
  /** True once something was refused for lack of room. */
  full = false
  readonly root = new TmpDirectory(this)

  constructor(
    /** The job's descriptor table, so the budget sees files only an open descriptor keeps alive. */
    readonly fds: (Fd | undefined)[],
    readonly maxBytes = MAX_TMP_BYTES,
    readonly maxEntries = MAX_TMP_ENTRIES,
  ) {}

  /** Takes `delta` bytes (negative gives them back); false when they do not fit. */
  take(delta: number): boolean {
    if (delta > 0 && this.bytes + delta > this.maxBytes) {
      // Counted growth never shrinks on unlink: count what is really held before refusing.
      this.recount()
      if (this.bytes + delta > this.maxBytes) return this.refuse()
    }
    this.bytes += delta
    return true
  }

  /** Takes room for one more name in a directory; false when it does not fit. */
  takeEntry(name: string): boolean {
    if (this.entries + 1 > this.maxEntries) {
      this.recount()
      if (this.entries + 1 > this.maxEntries) return this.refuse()
    }
    if (!this.take(name.length)) return false
    this.entries++
    return true
  }

  /** Bytes held now: every file reachable from `/tmp` or an open descriptor, once, and every name. */
  held(): number {
    this.recount()
    return this.bytes
  }

  private refuse(): false {
    this.full = true
    return false
  }

  private recount(): void {
    const files = new Set<TmpFile>()
    let bytes = 0
    let entries = 0
    const walk = (dir: Directory) => {
      for (const [name, entry] of dir.contents) {
        entries++
        bytes += name.length
        if (entry instanceof TmpFile) files.add(entry)
        else if (entry instanceof Directory) walk(entry)
      }
    }
    walk(this.root)
    for (const fd of this.fds) if (fd instanceof TmpOpenFile) files.add(fd.file)
    for (const file of files) bytes += file.capacity
    this.bytes = bytes
    this.entries = entries
  }
}

/** A path as the shim's directories expect it (its own Path class is not exported). */
interface ParsedPath {
  parts: string[]
  is_dir: boolean
}

function parsePath(text: string): ParsedPath | number {
  if (text.startsWith('/')) return wasi.ERRNO_NOTCAPABLE
  if (text.includes('\0')) return ERRNO_INVAL
  const parts: string[] = []
  for (const part of text.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (parts.pop() === undefined) return wasi.ERRNO_NOTCAPABLE
      continue
    }
    parts.push(part)
  }
  return { parts, is_dir: text.endsWith('/') }
}

class TmpDirectory extends Directory {
  constructor(readonly budget: TmpBudget) {
    super(new Map())
  }

  override path_open(): { ret: number; fd_obj: OpenDirectory } {
    return { ret: ERRNO_SUCCESS, fd_obj: new TmpOpenDirectory(this) }
  }

  /** As the shim's, with budgeted files and directories, and only when the name fits. */
  override create_entry_for_path(
    pathText: string,
    isDir: boolean,
  ): { ret: number; entry: Inode | null } {
    const path = parsePath(pathText)
    if (typeof path === 'number') return { ret: path, entry: null }
    const found = this.get_parent_dir_and_entry_for_path(
      path as Parameters<Directory['get_entry_for_path']>[0],
      true,
    )
    const { parent_entry: parent, filename } = found
    if (!parent || filename === null) return { ret: found.ret, entry: null }
    if (found.entry) return { ret: ERRNO_EXIST, entry: null }
    if (!this.budget.takeEntry(filename)) return { ret: ERRNO_NOSPC, entry: null }
    const entry = isDir ? new TmpDirectory(this.budget) : new TmpFile(this.budget)
    parent.contents.set(filename, entry)
    return { ret: ERRNO_SUCCESS, entry }
  }
}

class TmpOpenDirectory extends OpenDirectory {
  constructor(readonly tmp: TmpDirectory) {
    super(tmp)
  }

  override path_open(
    dirflags: number,
    path: string,
    oflags: number,
    rightsBase: bigint,
    rightsInheriting: bigint,
    fdFlags: number,
  ): { ret: number; fd_obj: Fd | null } {
    if (this.tmp.budget.fds.length >= MAX_OPENED_FILES) return { ret: ERRNO_NFILE, fd_obj: null }
    return super.path_open(dirflags, path, oflags, rightsBase, rightsInheriting, fdFlags)
  }

  /** Hard links and renames add a name: it must fit too. */
  override path_link(path: string, inode: Inode, allowDir: boolean): number {
    const name = path.split('/').filter(Boolean).pop() ?? ''
    if (!this.tmp.budget.takeEntry(name)) return ERRNO_NOSPC
    return super.path_link(path, inode, allowDir)
  }
}

/** The preopened `/tmp` itself. */
export class TmpPreopen extends TmpOpenDirectory {
  constructor(
    readonly name: string,
    budget: TmpBudget,
  ) {
    super(budget.root)
  }

  override fd_prestat_get(): { ret: number; prestat: wasi.Prestat | null } {
    return { ret: ERRNO_SUCCESS, prestat: wasi.Prestat.dir(this.name) }
  }
}

/** File bytes in a buffer that grows by doubling (the shim copies the whole file on every append). */
class TmpFile extends Inode {
  private data = new Uint8Array(0)
  size = 0

  constructor(readonly budget: TmpBudget) {
    super()
  }

  get capacity(): number {
    return this.data.byteLength
  }

  path_open(oflags: number, _rights: bigint, fdFlags: number): { ret: number; fd_obj: Fd } {
    if (oflags & wasi.OFLAGS_TRUNC) this.resize(0n)
    const fd = new TmpOpenFile(this)
    if (fdFlags & wasi.FDFLAGS_APPEND) fd.fd_seek(0n, wasi.WHENCE_END)
    return { ret: ERRNO_SUCCESS, fd_obj: fd }
  }

  stat(): wasi.Filestat {
    return new wasi.Filestat(this.ino, wasi.FILETYPE_REGULAR_FILE, BigInt(this.size))
  }

  read(at: bigint, length: number): Uint8Array {
    if (at >= BigInt(this.size)) return new Uint8Array(0)
    const start = Number(at)
    return this.data.slice(start, Math.min(this.size, start + length))
  }

  write(at: bigint, bytes: Uint8Array): number {
    const end = at + BigInt(bytes.byteLength)
    if (end > BigInt(this.size)) {
      const grown = this.resize(end)
      if (grown !== ERRNO_SUCCESS) return grown
    }
    this.data.set(bytes, Number(at))
    return ERRNO_SUCCESS
  }

  /** Sets the size; new bytes read as zeros. */
  resize(size: bigint): number {
    if (size > BigInt(this.budget.maxBytes)) {
      this.budget.full = true
      return ERRNO_NOSPC
    }
    const wanted = Number(size)
    if (wanted > this.data.byteLength) {
      // Double where the budget allows it, else take exactly what is needed.
      const doubled = Math.min(this.budget.maxBytes, Math.max(wanted, this.data.byteLength * 2))
      let capacity = doubled
      if (!this.budget.take(doubled - this.data.byteLength)) {
        capacity = wanted
        if (!this.budget.take(wanted - this.data.byteLength)) return ERRNO_NOSPC
      }
      const data = new Uint8Array(capacity)
      data.set(this.data.subarray(0, this.size))
      this.data = data
    } else if (wanted === 0) {
      this.budget.take(-this.data.byteLength)
      this.data = new Uint8Array(0)
    } else if (wanted < this.size) {
      this.data.fill(0, wanted, this.size)
    }
    this.size = wanted
    return ERRNO_SUCCESS
  }
}

class TmpOpenFile extends Fd {
  private position = 0n

  constructor(readonly file: TmpFile) {
    super()
  }

  override fd_allocate(offset: bigint, length: bigint): number {
    const end = offset + length
    return end > BigInt(this.file.size) ? this.file.resize(end) : ERRNO_SUCCESS
  }

  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat | null } {
    return { ret: ERRNO_SUCCESS, fdstat: new wasi.Fdstat(wasi.FILETYPE_REGULAR_FILE, 0) }
  }

  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: ERRNO_SUCCESS, filestat: this.file.stat() }
  }

  override fd_filestat_set_size(size: bigint): number {
    return this.file.resize(size)
  }

  override fd_read(length: number): { ret: number; data: Uint8Array } {
    const data = this.file.read(this.position, length)
    this.position += BigInt(data.byteLength)
    return { ret: ERRNO_SUCCESS, data }
  }

  override fd_pread(length: number, offset: bigint): { ret: number; data: Uint8Array } {
    return { ret: ERRNO_SUCCESS, data: this.file.read(offset, length) }
  }

  override fd_seek(offset: bigint, whence: number): { ret: number; offset: bigint } {
    const base =
      whence === wasi.WHENCE_SET
        ? 0n
        : whence === wasi.WHENCE_CUR
          ? this.position
          : whence === wasi.WHENCE_END
            ? BigInt(this.file.size)
            : undefined
    if (base === undefined || base + offset < 0n) return { ret: ERRNO_INVAL, offset: 0n }
    this.position = base + offset
    return { ret: ERRNO_SUCCESS, offset: this.position }
  }

  override fd_tell(): { ret: number; offset: bigint } {
    return { ret: ERRNO_SUCCESS, offset: this.position }
  }

  override fd_write(data: Uint8Array): { ret: number; nwritten: number } {
    const ret = this.file.write(this.position, data)
    if (ret !== ERRNO_SUCCESS) return { ret, nwritten: 0 }
    this.position += BigInt(data.byteLength)
    return { ret, nwritten: data.byteLength }
  }

  override fd_pwrite(data: Uint8Array, offset: bigint): { ret: number; nwritten: number } {
    const ret = this.file.write(offset, data)
    return { ret, nwritten: ret === ERRNO_SUCCESS ? data.byteLength : 0 }
  }
}
