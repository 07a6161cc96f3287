/** The volunteer PWA from the Worker's static-assets binding (`[assets]` in wrangler.toml). */
import type { Asset, AssetSource } from '../core/assets/asset-source'

export class AssetsBindingSource implements AssetSource {
  constructor(private readonly assets: Fetcher) {}

  async get(path: string): Promise<Asset | undefined> {
    const response = await this.assets.fetch(new Request(`https://assets.local/${path}`))
    // The binding answers a directory or a missing file with a redirect or 404: not an asset.
    if (!response.ok || response.redirected) return undefined
    const body = new Uint8Array(await response.arrayBuffer())
    const etag = response.headers.get('etag')?.replace(/^W\//, '').replace(/"/g, '')
    return {
      body,
      etag: etag || (await digest(body)),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    }
  }
}

async function digest(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Array.from(hash.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')
}
