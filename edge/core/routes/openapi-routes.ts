/**
 * `GET /openapi.json`, the API's OpenAPI document, and `/docs`, Swagger UI over it. Both are open
 * (like /health) and served by whichever process a request reaches; Swagger UI's files come from
 * our own build (`dist/web/docs/`, copied there by vite.config.ts), never from a CDN.
 */
import type { Context } from 'hono'
import { z } from 'zod'
import type { AssetSource } from '../assets/asset-source'
import { ISOLATION_HEADERS } from '../assets/isolation-headers'
import { HttpError } from '../http-error'
import { ANYWHERE } from '../rooms/owner'
import { RouteTable } from './route-table'

export interface OpenApiRouteDeps {
  /** The document as JSON text. */
  document: () => string
  /** The built web files, where this host has them (Swagger UI among them). */
  assets: AssetSource | undefined
}

const anywhere = { owner: ANYWHERE }
/** The docs page's own files (the page, Swagger UI's two, our init), nothing else of the build. */
const docsFile = { ...anywhere, doc: { hidden: "the docs page's own files" } }

export const openApiRoutes = new RouteTable<OpenApiRouteDeps>()
  .get(
    '/openapi.json',
    {
      ...anywhere,
      doc: {
        summary: 'This OpenAPI document',
        description: 'OpenAPI 3.1, made from the same zod schemas that check the requests.',
        tag: 'Meta',
        access: 'open',
        responses: {
          200: { description: 'The document', schema: z.looseObject({ openapi: z.string() }) },
        },
      },
    },
    (c, { document }) =>
      c.body(document(), 200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-cache',
      }),
  )
  .get(
    '/docs',
    {
      ...anywhere,
      doc: {
        summary: 'Interactive API docs (Swagger UI)',
        tag: 'Meta',
        access: 'open',
        responses: {
          200: { description: 'The page', contentType: 'text/html' },
          503: { description: 'PWA_NOT_BUILT: the web files are not built (npm run build)' },
        },
      },
    },
    fileRoute('index.html'),
  )
  // Exact paths, not `/docs/*`: a user named "docs" keeps every other path for functions.
  .get('/docs/', docsFile, fileRoute('index.html'))
  .get('/docs/swagger-ui.css', docsFile, fileRoute('swagger-ui.css'))
  .get('/docs/swagger-ui-bundle.js', docsFile, fileRoute('swagger-ui-bundle.js'))
  .get('/docs/swagger-init.js', docsFile, fileRoute('swagger-init.js'))

function fileRoute(name: string) {
  return (c: Context, { assets }: OpenApiRouteDeps) =>
    serve(c.req.header('if-none-match'), assets, name)
}

async function serve(
  ifNoneMatch: string | undefined,
  assets: AssetSource | undefined,
  name: string,
): Promise<Response> {
  const asset = await assets?.get(`docs/${name}`)
  if (!asset)
    throw new HttpError(
      503,
      'PWA_NOT_BUILT',
      'the docs page is not built: run `npm run build` (npm start does it for you); /openapi.json works without it',
    )
  const etag = `"${asset.etag}"`
  // The page's CSP and isolation, as the volunteer page's: its own scripts only, nothing framed.
  const headers = { ...ISOLATION_HEADERS, etag, 'cache-control': 'no-cache' }
  if (ifNoneMatch?.split(',').some((tag) => tag.trim() === etag))
    return new Response(null, { status: 304, headers })
  return new Response(asset.body, {
    headers: {
      ...headers,
      'content-type': asset.contentType,
      'content-length': String(asset.body.byteLength),
    },
  })
}
