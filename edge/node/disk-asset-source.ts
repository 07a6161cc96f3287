/**
 * The built PWA from `dist/web/` on disk, read once per file and kept in memory (the whole app,
 * Pyodide included, is ~15 MB). Paths are confined to the directory, symlinks included.
 */
import { createHash } from 'node:crypto'
import { existsSync, realpathSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import mime from 'mime'
import type { Asset, AssetSource } from '../core/assets/asset-source'

/** `dist/web` beside this bundle in `dist/node`, or from the source tree when run by tests. */
export function defaultWebDir(): string {
  const candidates = [
    new URL('../web/', import.meta.url),
    new URL('../../dist/web/', import.meta.url),
  ]
  const found = candidates.map((url) => fileURLToPath(url)).find((dir) => existsSync(dir))
  return found ?? fileURLToPath(candidates[0] as URL)
}

export class DiskAssetSource implements AssetSource {
  private readonly cache = new Map<string, Promise<Asset | undefined>>()

  constructor(private readonly root: string) {}

  get(relative: string): Promise<Asset | undefined> {
    let found = this.cache.get(relative)
    if (!found) {
      found = this.load(relative)
      this.cache.set(relative, found)
    }
    return found
  }

  private async load(relative: string): Promise<Asset | undefined> {
    const file = path.resolve(this.root, relative)
    try {
      const real = realpathSync(file)
      const root = realpathSync(this.root)
      if (real !== root && !real.startsWith(root + path.sep)) return undefined
      const body = new Uint8Array(await readFile(real))
      return {
        body,
        etag: createHash('sha256').update(body).digest('hex').slice(0, 32),
        contentType: contentType(real),
      }
    } catch {
      // Missing, a directory, or unreadable: not an asset. Not cached, so a later build is seen.
      this.cache.delete(relative)
      return undefined
    }
  }
}

function contentType(file: string): string {
  if (file.endsWith('.webmanifest')) return 'application/manifest+json'
  if (file.endsWith('.mjs') || file.endsWith('.js')) return 'text/javascript; charset=utf-8'
  const type = mime.getType(file) ?? 'application/octet-stream'
  return type.startsWith('text/') || type === 'application/json' ? `${type}; charset=utf-8` : type
}
