/**
 * Answers a GET or HEAD for a stored file as a static file server should: ETag and
 * If-None-Match (304), single byte ranges (206, or 416), Last-Modified, and headers that keep
 * user content from acting as the orchestrator's own pages.
 */
import type { Context } from 'hono'
import type { FileInfo } from './file-index'
import type { ByteRange } from './file-store'
import { contentType, type StorageService } from './storage-service'

export function serveFile(
  c: Context,
  storage: StorageService,
  ns: string,
  info: FileInfo,
): Promise<Response> {
  return serveBytes(c, info, (range) => storage.read(ns, info.path, range), info.content_type)
}

/** Serves any stored bytes with the same validators and ranges (job outputs use it too). */
export async function serveBytes(
  c: Context,
  info: {
    size: number
    updated_at?: number
    created_at?: number
    etag?: string
    sha256?: string
    path?: string
    name?: string
  },
  read: (range: ByteRange | undefined) => Promise<ReadableStream<Uint8Array> | undefined>,
  type = contentType(info.path ?? info.name ?? ''),
): Promise<Response> {
  const etag = `"${info.etag ?? info.sha256 ?? ''}"`
  const name = info.path ?? info.name ?? ''
  const headers: Record<string, string> = {
    'content-type': type,
    etag,
    'last-modified': new Date(info.updated_at ?? info.created_at ?? 0).toUTCString(),
    'accept-ranges': 'bytes',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // User content runs scripts, but in an opaque origin: it cannot read this origin's storage
    // (the volunteer page's IndexedDB) or call the API as this origin.
    'content-security-policy':
      'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads',
  }
  if (matches(c.req.header('if-none-match'), etag))
    return new Response(null, { status: 304, headers: { etag, 'cache-control': 'no-cache' } })

  const range = parseRange(c.req.header('range'), info.size)
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { 'content-range': `bytes */${info.size}` } })
  }
  const head = c.req.method === 'HEAD'
  const body = head ? null : await read(range)
  if (!head && !body) return c.json({ error: `no file '${name}'`, code: 'FILE_NOT_FOUND' }, 404)
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`
    headers['content-length'] = String(range.end - range.start + 1)
    return new Response(body, { status: 206, headers })
  }
  headers['content-length'] = String(info.size)
  return new Response(body, { status: 200, headers })
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === `W/${etag}`
  })
}

/** One `bytes=` range (start-end, start-, or -suffix); several ranges are answered in full. */
function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return undefined
  const [, from, to] = match
  if (from === '' && to === '') return undefined
  if (size === 0) return 'unsatisfiable'
  let start: number
  let end: number
  if (from === '') {
    const suffix = Number(to)
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(from)
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1)
  }
  if (start >= size || start > end) return 'unsatisfiable'
  return { start, end }
}
