/**
 * What an attack could have changed, captured so a test can show it did not: every file in the
 * data directory (by content and mode; the SQLite files aside, since they change on their own),
 * and what the admin sees through the API in the namespaces involved.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fetcherOf, type Fetcher } from './api'

/** SQLite's files change with checkpoints and bookkeeping; their contents are read via the API. */
const LIVE_FILES = /^zerverless\.db(-wal|-shm|-journal)?$/

/** `relative path → sha256 and mode` for every file under `dir`. */
export function diskSnapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name)
    const relative = path.relative(dir, file)
    if (LIVE_FILES.test(relative)) continue
    if (entry.isDirectory()) {
      files[`${relative}/`] = 'directory'
      continue
    }
    const mode = (statSync(file).mode & 0o777).toString(8)
    const hash = entry.isFile()
      ? createHash('sha256').update(readFileSync(file)).digest('hex')
      : 'not a file'
    files[relative] = `${hash} ${mode}`
  }
  return files
}

/**
 * The admin's view of `namespaces` (keys with their values, files with their bytes, jobs,
 * deployments, services) and of the token list (ids only: revoking is an admin's act).
 */
export async function apiSnapshot(
  target: string | Fetcher,
  adminToken: string,
  namespaces: string[],
): Promise<Record<string, unknown>> {
  const send = fetcherOf(target)
  const get = async (route: string) => {
    const res = await send(route, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
    const text = await res.text()
    if (!res.ok && res.status !== 404) throw new Error(`GET ${route}: ${res.status} ${text}`)
    return { status: res.status, text }
  }
  const json = async (route: string) => JSON.parse((await get(route)).text) as Record<string, any>
  const snapshot: Record<string, unknown> = {
    deployments: (await json('/api/deploy')).deployments.map(
      (d: { url: string; version: number }) => `${d.url}@${d.version}`,
    ),
    services: (await json('/api/services/standalone')).services.map(
      (s: { id: number; name: string; namespace: string }) => `${s.id}:${s.namespace}/${s.name}`,
    ),
    tokens: (await json('/api/tokens')).tokens.map((t: { id: string }) => t.id).sort(),
  }
  for (const ns of namespaces) {
    const keys: string[] = (await json(`/api/db/${ns}?limit=1000`)).keys
    const files: string[] = (await json(`/api/storage/${ns}?limit=1000`)).files
    const jobs = (await json(`/api/jobs?namespace=${ns}&limit=100`)).jobs as {
      id: string
      status: string
    }[]
    snapshot[ns] = {
      keys: Object.fromEntries(
        await Promise.all(
          keys.map(async (k) => [k, (await get(`/api/db/${ns}/${encodeURIComponent(k)}`)).text]),
        ),
      ),
      files: Object.fromEntries(
        await Promise.all(
          files.map(async (f) => [
            f,
            (await get(`/api/storage/${ns}/${f.split('/').map(encodeURIComponent).join('/')}`))
              .text,
          ]),
        ),
      ),
      jobs: jobs.map((j) => `${j.id}:${j.status}`).sort(),
    }
  }
  return snapshot
}
