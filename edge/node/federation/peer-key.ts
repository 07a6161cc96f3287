/**
 * The orchestrator's mesh identity: an Ed25519 key kept in the data directory, so its peer id (what
 * other orchestrators bootstrap from and allow) survives restarts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Libp2pPrivateKey } from './libp2p-types'

/** Where the key lives inside a data directory. */
export function peerKeyPath(dataDir: string): string {
  return path.join(dataDir, 'p2p', 'peer.key')
}

/**
 * Reads the key at `{dataDir}/p2p/peer.key`, or makes one on first start (owner-only: whoever
 * reads it can impersonate this orchestrator in the mesh).
 */
export async function loadOrCreatePeerKey(dataDir: string): Promise<Libp2pPrivateKey> {
  const file = peerKeyPath(dataDir)
  const existing = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (existing) return privateKeyFromProtobuf(existing)
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  // `wx`: two processes starting on one data directory must not overwrite each other's key.
  // Then read back: the key on disk is the one both go on with.
  await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    },
  )
  return privateKeyFromProtobuf(await readFile(file))
}
