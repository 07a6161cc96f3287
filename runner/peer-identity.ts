/** A runner's lasting id, so services registered on it find it again after a restart. */
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

export async function loadPeerId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'peer.json')
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { id?: unknown }
    if (typeof saved.id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(saved.id)) return saved.id
  } catch {
    // First start, or an unreadable file: make a new identity.
  }
  const id = randomUUID()
  await mkdir(dataDir, { recursive: true })
  await writeFile(file, JSON.stringify({ id }, null, 2) + '\n', { mode: 0o600 })
  return id
}
