/**
 * `/volunteer/`: the volunteer PWA. Every response is cross-origin isolated (see
 * isolation-headers.ts); hashed build assets are cached for good, the shell, the manifest and the
 * service worker are revalidated on every load so an update is seen at once. Paths the app does
 * not have fall back to its index.html, as a single-page app expects.
 */
import type { AssetSource } from '../assets/asset-source'
import { ISOLATION_HEADERS } from '../assets/isolation-headers'
import { HttpError } from '../http-error'
import { ANYWHERE } from '../rooms/owner'
import { RouteTable } from './route-table'

const INDEX = 'index.html'

export interface VolunteerPageDeps {
  /** The built PWA, where this host has it. */
  assets: AssetSource | undefined
}

/** Served by whichever process the request reaches (on the edge, the front, from its assets). */
const anywhere = { owner: ANYWHERE }
/** Pages, not API: left out of the OpenAPI document. */
const redirect = { ...anywhere, doc: { hidden: 'a redirect to /volunteer/' } }
const app = { ...anywhere, doc: { hidden: 'the volunteer web app (HTML, scripts)' } }

export const volunteerPageRoutes = new RouteTable<VolunteerPageDeps>()
  .get('/volunteer', redirect, (c) => c.redirect('/volunteer/', 308))
  .get('/volunteer/*', app, async (c, { assets }) => {
    const path = decodeURIComponent(c.req.path.slice('/volunteer/'.length))
    if (path.split('/').some((part) => part === '..' || part === '.') || path.includes('\\'))
      throw new HttpError(400, 'INVALID_PATH', 'the path may not contain "." or ".." segments')
    // The console's build shares this asset tree; it is served at /console/, not here.
    if (path.startsWith('console/'))
      throw new HttpError(404, 'NOT_FOUND', `the volunteer page has no file '${path}'`)
    const wanted = path === '' || path.endsWith('/') ? `${path}${INDEX}` : path
    let asset = await assets?.get(wanted)
    // A path without an extension is a page of the app, not a file.
    if (!asset && !/\.[a-z0-9]+$/i.test(wanted)) asset = await assets?.get(INDEX)
    if (!asset) {
      if (!(await assets?.get(INDEX)))
        throw new HttpError(
          503,
          'PWA_NOT_BUILT',
          'the volunteer page is not built: run `npm run build` (npm start does it for you)',
        )
      throw new HttpError(404, 'NOT_FOUND', `the volunteer page has no file '${path}'`)
    }
    const etag = `"${asset.etag}"`
    const headers: Record<string, string> = {
      ...ISOLATION_HEADERS,
      etag,
      'cache-control': wanted.startsWith('assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    }
    if (
      c.req
        .header('if-none-match')
        ?.split(',')
        .some((tag) => tag.trim() === etag)
    )
      return new Response(null, { status: 304, headers })
    return new Response(c.req.method === 'HEAD' ? null : asset.body, {
      headers: {
        ...headers,
        'content-type': asset.contentType,
        'content-length': String(asset.body.byteLength),
      },
    })
  })
