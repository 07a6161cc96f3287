/**
 * The admin token as the real CLI makes it: generated on first start, stored 0600 in the data
 * directory, printed once, and kept across restarts.
 */
import { statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { startZerverless } from '../helpers/zerverless-process'

const as = (base: string, token?: string) => ({
  get: async (route: string) => {
    const res = await fetch(base + route, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
    return { status: res.status }
  },
})

describe('the admin token', () => {
  it('is generated on first start, stored 0600, printed once, and kept across restarts', async () => {
    const dataDir = tempDir()
    const first = await startZerverless(['--auth', 'on', '--workers', '0'], dataDir, {
      ZERVERLESS_ADMIN_TOKEN: '',
    })
    const token = /^\s+(zv_admin_\S+)$/m.exec(first.output())?.[1]
    await first.stop()
    expect(token).toBeDefined()
    const file = path.join(dataDir, 'admin-token')
    expect(statSync(file).mode & 0o777).toBe(0o600)

    const second = await startZerverless(['--auth', 'on', '--workers', '0'], dataDir, {
      ZERVERLESS_ADMIN_TOKEN: '',
    })
    try {
      expect(second.output()).not.toContain(token)
      expect((await as(second.url, token).get('/api/tokens')).status).toBe(200)
      expect((await as(second.url, 'zv_admin_guess').get('/api/tokens')).status).toBe(401)
    } finally {
      await second.stop()
      removeDir(dataDir)
    }
  })
})
