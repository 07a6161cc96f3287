/**
 * `/api/storage/{ns}/{path}` (PUT, GET, DELETE, and `?prefix=` listings) and the public
 * `/static/{ns}/{path}`, which serves `index.html` for directories and only public files. A PUT
 * may say `?visibility=private|public|inherit`; a PUT or DELETE on a directory path (ending in
 * "/", or the namespace's root) sets or removes the visibility rule for everything under it.
 */
import type { Context } from 'hono'
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'
import { guardNamespace } from '../auth/access'
import { badRequest, HttpError } from '../http-error'
import { namespaceAt } from '../rooms/owner'
import { serveFile } from '../storage/serve-file'
import { PathError } from '../storage/storage-path'
import type { StorageService } from '../storage/storage-service'
import { joinedPath, requestSegments } from './path-segments'
import { bodyStream, parseQuery } from './request-body'
import type { RouteDoc } from './route-doc'
import { RouteTable, type RouteInfo } from './route-table'
import { FileQuery, ListQuery, RuleQuery, staticDocs, storageDocs } from './storage-docs'

/** Segments before the namespace: `/api/storage/{ns}/…` and `/static/{ns}/…`. */
const API_SKIP = 2
const STATIC_SKIP = 1

export interface StorageRouteDeps {
  storage: StorageService
  durable: () => Promise<void>
}

/** A namespace's files live in its room; uploads stream to the file store, which limits them. */
const owned: RouteInfo = { owner: namespaceAt(2) }
const doc = (d: RouteDoc): RouteInfo => ({ ...owned, doc: d })
const upload: RouteInfo = { ...doc(storageDocs.put), body: 'stream' }
const slash: RouteInfo = { ...owned, doc: { hidden: 'the same listing as GET /api/storage/{ns}' } }

const list = (c: Context, { storage }: StorageRouteDeps) => {
  const ns = namespace(requestSegments(c)[API_SKIP] ?? '')
  const query = parseQuery(c, ListQuery)
  const page = storage.list(ns, query.prefix ?? '', query.limit ?? 100, query.cursor)
  const rules = storage.rules(ns)
  return c.json({
    files: page.files.map((f) => f.path),
    private: page.files
      .filter((f) => storage.visibility(ns, f, rules) === 'private')
      .map((f) => f.path),
    rules,
    count: page.files.length,
    cursor: page.cursor,
  })
}

export const storageRoutes = new RouteTable<StorageRouteDeps>()
  .use('/api/storage/*', guardNamespace('storage'))
  .get('/api/storage/:ns', doc(storageDocs.list), list)
  .get('/api/storage/:ns/', slash, list)
  .put('/api/storage/:ns/*', upload, async (c, { storage, durable }) => {
    const { ns, path } = target(c, API_SKIP, true)
    if (isDirectory(path)) {
      const { visibility } = parseQuery(c, RuleQuery)
      // A rule has no content; its body is not read (nor anything else under its path touched).
      if (c.req.header('transfer-encoding') || Number(c.req.header('content-length') ?? 0) > 0)
        throw badRequest('a directory path takes no body: PUT it empty with ?visibility=')
      storage.setRule(ns, { prefix: path, visibility })
      await durable()
      return c.json({ namespace: ns, prefix: path, visibility })
    }
    const { visibility } = parseQuery(c, FileQuery)
    const body = bodyStream(c)
    const length = c.req.header('content-length')
    const declared = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined
    const info = await storage.put(ns, path, body, declared, visibility)
    await durable()
    return c.json(
      {
        namespace: ns,
        path,
        size: info.size,
        etag: info.etag,
        content_type: info.content_type,
        visibility: storage.visibility(ns, info),
      },
      201,
    )
  })
  .get('/api/storage/:ns/*', doc(storageDocs.get), async (c, { storage }) => {
    const { ns, path } = target(c, API_SKIP)
    const info = storage.info(ns, path)
    if (!info) throw new HttpError(404, 'FILE_NOT_FOUND', `no file '${path}' in namespace '${ns}'`)
    const res = await serveFile(c, storage, ns, info)
    res.headers.set('x-visibility', storage.visibility(ns, info))
    return res
  })
  .delete('/api/storage/:ns/*', doc(storageDocs.delete), async (c, { storage, durable }) => {
    const { ns, path } = target(c, API_SKIP, true)
    if (isDirectory(path)) {
      if (!storage.removeRule(ns, path))
        throw new HttpError(
          404,
          'RULE_NOT_FOUND',
          `namespace '${ns}' has no visibility rule for '${path}'`,
        )
    } else if (!(await storage.remove(ns, path)))
      throw new HttpError(404, 'FILE_NOT_FOUND', `no file '${path}' in namespace '${ns}'`)
    await durable()
    return c.body(null, 204)
  })

/** Serves public files only: a private one gets the very answer a missing one gets. */
const serveStatic = async (c: Context, { storage }: Pick<StorageRouteDeps, 'storage'>) => {
  const { ns, path } = target(c, STATIC_SKIP, true)
  const wanted = isDirectory(path) ? `${path}index.html` : path
  const info = storage.publicInfo(ns, wanted)
  if (info) return serveFile(c, storage, ns, info)
  // A directory asked for without its slash: send the browser to it, as web servers do.
  if (!isDirectory(path) && storage.publicInfo(ns, `${path}/index.html`)) {
    return c.redirect(`${new URL(c.req.url).pathname}/`, 301)
  }
  throw new HttpError(404, 'FILE_NOT_FOUND', `no file '${wanted}' in namespace '${ns}'`)
}

/** `/static/{ns}/…`: the namespace's public files, from its room. */
export const staticRoutes = new RouteTable<Pick<StorageRouteDeps, 'storage'>>()
  .get('/static/:ns', { owner: namespaceAt(1), doc: staticDocs.root }, serveStatic)
  .get('/static/:ns/*', { owner: namespaceAt(1), doc: staticDocs.file }, serveStatic)

/** The namespace's root ("") or a path ending in "/": a directory, never a file. */
const isDirectory = (path: string) => path === '' || path.endsWith('/')

function namespace(ns: string): string {
  if (!NAMESPACE_PATTERN.test(ns))
    throw badRequest(
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    )
  return ns
}

/**
 * The namespace and path of a request: the segments after the mount's `skip` ones, each decoded
 * once, so that an encoded name means what it decodes to and an encoded "/" cannot smuggle in a
 * separator.
 */
function target(c: Context, skip: number, allowDirectory = false): { ns: string; path: string } {
  const segments = requestSegments(c)
  const ns = namespace(segments[skip] ?? '')
  const path = joinedPath(segments, skip + 1)
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
