/** Temporary directories for data directories and fixtures, removed by the test that made them. */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export function tempDir(prefix = 'zv-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
