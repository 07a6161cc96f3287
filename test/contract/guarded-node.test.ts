/** The guarded contract (auth on, no volunteer) against the Node server. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describeGuardedContract } from './guarded-contract'
import { removeDir, startZerverless } from '../helpers/zerverless-process'

const ADMIN = 'zv-guarded-admin-token-0123456789'

describeGuardedContract('Node', async () => {
  const server = await startZerverless(['--auth', 'on', '--workers', '0'], undefined, {
    ZERVERLESS_ADMIN_TOKEN: ADMIN,
  })
  const secret = readFileSync(path.join(server.dataDir, 'token-secret'), 'utf8').trim()
  return {
    url: server.url,
    admin: ADMIN,
    secret: new TextEncoder().encode(secret),
    namespaces: ['guarded-a', 'guarded-b'],
    stop: async () => {
      await server.stop()
      removeDir(server.dataDir)
    },
  }
})
