/**
 * The key that seals secrets at rest, as the real CLI keeps it: generated once into the data
 * directory with mode 0600 and kept across restarts; a key given that is not one stops the start
 * with the reason instead of running with secrets nobody can open.
 */
import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { startZerverless } from '../helpers/zerverless-process'

const BIN = path.resolve(import.meta.dirname, '../../bin/zerverless.js')

describe('the secrets key', () => {
  it('is generated on first start, stored 0600, and kept across restarts', async () => {
    const dataDir = tempDir()
    try {
      const first = await startZerverless(['--workers', '0'], dataDir, {
        ZERVERLESS_SECRETS_KEY: '',
      })
      await first.stop()
      const file = path.join(dataDir, 'secrets.key')
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const key = readFileSync(file, 'utf8')
      expect(key.trim()).toMatch(/^[0-9a-f]{64}$/)

      const second = await startZerverless(['--workers', '0'], dataDir, {
        ZERVERLESS_SECRETS_KEY: '',
      })
      await second.stop()
      expect(readFileSync(file, 'utf8')).toBe(key)
    } finally {
      removeDir(dataDir)
    }
  })

  it('refuses to start with a given key that is not 32 bytes, saying why', async () => {
    const dataDir = tempDir()
    try {
      const failed = await promisify(execFile)(
        process.execPath,
        [BIN, '--port', '0', '--workers', '0', '--data-dir', dataDir, '--secrets-key', 'hunter2'],
        { timeout: 30_000 },
      ).then(
        () => undefined,
        (err: { code?: number; stderr?: string }) => err,
      )
      expect(failed?.code).toBe(1)
      expect(failed?.stderr).toContain('a secrets key must be 32 bytes')
      expect(failed?.stderr).not.toContain('hunter2')
    } finally {
      removeDir(dataDir)
    }
  })
})
