/**
 * Paths inside a namespace's storage. A path is relative, slash-separated, and every segment is a
 * plain name: no `..` or `.`, no empty segments, no backslashes, NUL or other control characters.
 * Checked after decoding, so percent-encoded tricks are caught too.
 */
import { HttpError } from '../http-error'

const MAX_PATH_BYTES = 1024
const MAX_SEGMENT_BYTES = 255

export class PathError extends HttpError {
  constructor(message: string) {
    super(400, 'INVALID_PATH', message, { field: 'path' })
  }
}

/** Returns the path if it is safe, else throws a 400 saying why. */
export function checkStoragePath(path: string): string {
  if (path === '') throw new PathError('path is required')
  if (path.startsWith('/')) throw new PathError('path must be relative (it starts with "/")')
  if (path.includes('\\')) throw new PathError('path must not contain backslashes')
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(path))
    throw new PathError('path must not contain NUL or control characters')
  if (new TextEncoder().encode(path).length > MAX_PATH_BYTES)
    throw new PathError(`path must be at most ${MAX_PATH_BYTES} bytes`)
  for (const segment of path.split('/')) {
    if (segment === '')
      throw new PathError('path must not contain empty segments ("//" or a trailing "/")')
    if (segment === '.' || segment === '..')
      throw new PathError('path must not contain "." or ".." segments')
    if (new TextEncoder().encode(segment).length > MAX_SEGMENT_BYTES)
      throw new PathError(`each path segment must be at most ${MAX_SEGMENT_BYTES} bytes`)
  }
  return path
}

/**
 * Whether a path relative to a base (as `path.relative` gives it) leads out of that base: it is
 * `..` or starts with a `..` segment, or is absolute (POSIX). A name that merely starts with dots
 * (`..foo`, `...`) stays inside.
 */
export function leavesBase(relative: string, separator = '/'): boolean {
  return relative === '..' || relative.startsWith(`..${separator}`) || relative.startsWith('/')
}

/**
 * Finds traversal in a raw request target, before a URL parser normalizes `..` away (which would
 * silently send the request to another route). Hosts that see the raw target call this.
 */
export function rawTargetProblem(target: string): string | undefined {
  const query = target.indexOf('?')
  const raw = query === -1 ? target : target.slice(0, query)
  let decoded: string
  try {
    decoded = decodeURIComponent(raw.replace(/%(?![0-9a-fA-F]{2})/g, '%25'))
  } catch {
    return 'the path is not valid percent-encoding'
  }
  if (decoded.includes('\\')) return 'the path must not contain backslashes'
  if (decoded.includes('\u0000')) return 'the path must not contain NUL'
  if (decoded.split('/').some((s) => s === '..' || s === '.'))
    return 'the path must not contain "." or ".." segments'
  return undefined
}
