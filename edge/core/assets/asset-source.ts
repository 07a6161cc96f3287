/**
 * The seam for the built volunteer PWA: Node reads `dist/web/` from disk, Workers will use its
 * static-assets binding. The core decides the routes and headers; a source only finds bytes.
 */

export interface Asset {
  body: Uint8Array<ArrayBuffer>
  /** Strong validator for If-None-Match, without quotes. */
  etag: string
  contentType: string
}

export interface AssetSource {
  /** The file at `path` under the app's root (no leading slash), or undefined. */
  get(path: string): Promise<Asset | undefined>
}
