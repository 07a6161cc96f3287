/**
 * `/` (the landing page) and `/console/`: the web console, a single-page app built into the
 * volunteer PWA's asset tree under `console/` (so both hosts serve it from the one asset source
 * they already have: dist/web on disk, the Worker's assets binding). Hashed build assets are cached
 * for good, the shell is revalidated; paths the app does not have fall back to its index.html.
 */
import type { Context } from 'hono'
import type { AssetSource } from '../assets/asset-source'
import { HttpError } from '../http-error'
import { ANYWHERE } from '../rooms/owner'
import { LANDING_HTML, LANDING_LINKS } from './landing-page'
import { RouteTable } from './route-table'

/** Where the console's build lives inside the asset tree (see web/console/vite.config.ts). */
const CONSOLE_DIR = 'console/'
const INDEX = 'index.html'

export interface ConsolePageDeps {
  /** The built PWA and console, where this host has them. */
  assets: AssetSource | undefined
}

/** Served by whichever process the request reaches (on the edge, the front, from its assets). */
const page = { owner: ANYWHERE, doc: { hidden: 'an HTML page for browsers' } }

/** The console never frames, never embeds, and talks only to this origin. */
const CONSOLE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

export const consolePageRoutes = new RouteTable<ConsolePageDeps>()
  .get('/', page, (c) => {
    // Browsers ask for HTML first; scripts and curl get the links as JSON.
    const accept = c.req.header('accept') ?? ''
    if (!accept.includes('text/html')) return c.json({ name: 'zerverless', links: LANDING_LINKS })
    return c.html(LANDING_HTML, 200, { ...CONSOLE_HEADERS, 'cache-control': 'no-cache' })
  })
  .get('/console', page, (c) => c.redirect('/console/', 308))
  .get('/console/*', page, (c, { assets }) => serveConsole(c, assets))

async function serveConsole(c: Context, assets: AssetSource | undefined): Promise<Response> {
  const path = decodeURIComponent(c.req.path.slice('/console/'.length))
  if (path.split('/').some((part) => part === '..' || part === '.') || path.includes('\\'))
    throw new HttpError(400, 'INVALID_PATH', 'the path may not contain "." or ".." segments')
  const wanted = path === '' || path.endsWith('/') ? `${path}${INDEX}` : path
  let asset = await assets?.get(CONSOLE_DIR + wanted)
  // A path without an extension is a page of the app (/console/jobs/123), not a file.
  if (!asset && !/\.[a-z0-9]+$/i.test(wanted)) asset = await assets?.get(CONSOLE_DIR + INDEX)
  if (!asset) {
    if (!(await assets?.get(CONSOLE_DIR + INDEX)))
      throw new HttpError(
        503,
        'CONSOLE_NOT_BUILT',
        'the console is not built: run `npm run build` (npm start does it for you)',
      )
    throw new HttpError(404, 'NOT_FOUND', `the console has no file '${path}'`)
  }
  const etag = `"${asset.etag}"`
  const headers: Record<string, string> = {
    ...CONSOLE_HEADERS,
    etag,
    'cache-control': wanted.startsWith('assets/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  }
  const matches = c.req
    .header('if-none-match')
    ?.split(',')
    .some((tag) => tag.trim() === etag)
  if (matches) return new Response(null, { status: 304, headers })
  return new Response(c.req.method === 'HEAD' ? null : asset.body, {
    headers: {
      ...headers,
      'content-type': asset.contentType,
      'content-length': String(asset.body.byteLength),
    },
  })
}
