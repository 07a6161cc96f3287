/**
 * `/api/storage/{ns}/{path}` (PUT, GET, DELETE, and `?prefix=` listings) and the public
 * `/static/{ns}/{path}`, which serves `index.html` for directories.
 */
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { NAMESPACE_PATTERN } from '../../../shared/job'
import { guardNamespace } from '../auth/access'
import { badRequest, HttpError } from '../http-error'
import type { Orchestrator } from '../orchestrator'
import { serveFile } from '../storage/serve-file'
import { PathError } from '../storage/storage-path'
import type { StorageService } from '../storage/storage-service'
import { parseQuery } from './request-body'

const ListQuery = z.object({
  prefix: z.string().max(1024).optional(),
  cursor: z.string().max(1024).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number between 1 and 1000' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: 'must be between 1 and 1000' })
        .max(1000, { error: 'must be between 1 and 1000' }),
    )
    .optional(),
})

export function storageRoutes(orchestrator: Orchestrator, storage: StorageService): Hono {
  const app = new Hono()
  app.use('*', guardNamespace('storage'))

  const list = (c: Context) => {
    const ns = namespace(c.req.param('ns') ?? '')
    const query = parseQuery(c, ListQuery)
    const page = storage.list(ns, query.prefix ?? '', query.limit ?? 100, query.cursor)
    return c.json({
      files: page.files.map((f) => f.path),
      count: page.files.length,
      cursor: page.cursor,
    })
  }
  app.get('/:ns', list)
  app.get('/:ns/', list)

  app.put('/:ns/*', async (c) => {
    const { ns, path } = target(c, '/api/storage')
    const body =
      c.req.raw.body ??
      new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
    const length = c.req.header('content-length')
    const declared = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined
    const info = await storage.put(ns, path, body, declared)
    await orchestrator.durable()
    return c.json(
      { namespace: ns, path, size: info.size, etag: info.etag, content_type: info.content_type },
      201,
    )
  })

  app.get('/:ns/*', async (c) => {
    const { ns, path } = target(c, '/api/storage')
    const info = storage.info(ns, path)
    if (!info) throw new HttpError(404, 'FILE_NOT_FOUND', `no file '${path}' in namespace '${ns}'`)
    return serveFile(c, storage, ns, info)
  })

  app.delete('/:ns/*', async (c) => {
    const { ns, path } = target(c, '/api/storage')
    if (!(await storage.remove(ns, path)))
      throw new HttpError(404, 'FILE_NOT_FOUND', `no file '${path}' in namespace '${ns}'`)
    await orchestrator.durable()
    return c.body(null, 204)
  })

  return app
}

export function staticRoutes(storage: StorageService): Hono {
  const app = new Hono()
  const serve = async (c: Context) => {
    const { ns, path } = target(c, '/static', true)
    const wanted = path === '' || path.endsWith('/') ? `${path}index.html` : path
    const info = storage.info(ns, wanted)
    if (info) return serveFile(c, storage, ns, info)
    // A directory asked for without its slash: send the browser to it, as web servers do.
    if (!path.endsWith('/') && path !== '' && storage.info(ns, `${path}/index.html`)) {
      return c.redirect(`${new URL(c.req.url).pathname}/`, 301)
    }
    throw new HttpError(404, 'FILE_NOT_FOUND', `no file '${wanted}' in namespace '${ns}'`)
  }
  app.get('/:ns', serve)
  app.get('/:ns/*', serve)
  return app
}

function namespace(ns: string): string {
  if (!NAMESPACE_PATTERN.test(ns))
    throw badRequest(
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    )
  return ns
}

/**
 * The namespace and path of a request, decoded segment by segment from the raw URL so that an
 * encoded "/" cannot smuggle in a separator.
 */
function target(c: Context, mount: string, allowDirectory = false): { ns: string; path: string } {
  const pathname = new URL(c.req.url).pathname
  const rest = pathname.slice(mount.length + 1)
  const slash = rest.indexOf('/')
  const ns = namespace(decodeSegment(slash === -1 ? rest : rest.slice(0, slash)))
  const rawPath = slash === -1 ? '' : rest.slice(slash + 1)
  const segments = rawPath.split('/').map(decodeSegment)
  if (segments.some((s) => s.includes('/')))
    throw new PathError('path must not contain encoded slashes (%2F)')
  const path = segments.join('/')
  if (allowDirectory && (path === '' || path.endsWith('/'))) {
    if (path !== '') checkPrefix(path.slice(0, -1))
    return { ns, path }
  }
  return { ns, path }
}

function checkPrefix(dir: string): void {
  for (const segment of dir.split('/')) {
    if (segment === '' || segment === '.' || segment === '..')
      throw new PathError('path must not contain empty, "." or ".." segments')
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new PathError('path is not valid percent-encoding')
  }
}
