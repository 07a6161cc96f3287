/**
 * Checks a file a service will execute: it exists, is a regular file, is executable by this
 * runner, and what its sha256 and format are. Hashes are cached by inode, size and mtime, so a
 * run does not re-read a large binary that did not change.
 */
import { createHash } from 'node:crypto'
import { constants, createReadStream } from 'node:fs'
import { access, open, stat } from 'node:fs/promises'
import {
  detectExecutableFormat,
  EXECUTABLE_HEAD_BYTES,
  type ExecutableFormat,
} from '../shared/protocol/system-capabilities'

export type CheckedExecutable =
  | { ok: true; path: string; sha256: string; size: number; format: ExecutableFormat | undefined }
  | { ok: false; error: string }

const hashes = new Map<string, { key: string; sha256: string }>()

export async function checkExecutable(file: string): Promise<CheckedExecutable> {
  let info
  try {
    info = await stat(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { ok: false, error: `invalid executable: executable not found: ${file}` }
    return {
      ok: false,
      error: `invalid executable: cannot access executable: ${(err as Error).message}`,
    }
  }
  if (info.isDirectory())
    return { ok: false, error: `invalid executable: path is a directory, not a file: ${file}` }
  if (!info.isFile()) return { ok: false, error: `invalid executable: not a regular file: ${file}` }
  try {
    await access(file, constants.X_OK)
  } catch {
    return {
      ok: false,
      error: `invalid executable: permission denied: ${file} is not executable (chmod +x it)`,
    }
  }
  return {
    ok: true,
    path: file,
    sha256: await hashFile(file),
    size: info.size,
    format: detectExecutableFormat(await head(file)),
  }
}

export async function hashFile(file: string): Promise<string> {
  const info = await stat(file)
  const key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`
  const cached = hashes.get(file)
  if (cached?.key === key) return cached.sha256
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  const sha256 = hash.digest('hex')
  hashes.set(file, { key, sha256 })
  return sha256
}

async function head(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r')
  try {
    const buffer = new Uint8Array(EXECUTABLE_HEAD_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
