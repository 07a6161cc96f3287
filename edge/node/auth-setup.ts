/**
 * Auth on Node: on unless the API is bound to loopback (or `--auth` says otherwise). The admin token
 * comes from ZERVERLESS_ADMIN_TOKEN or is generated on first start, stored in the data directory
 * with mode 0600 and printed once; the secret that signs API tokens is kept beside it.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { AuthSettings } from '../core/auth/authenticator'

const ADMIN_TOKEN_FILE = 'admin-token'
const TOKEN_SECRET_FILE = 'token-secret'

export interface AuthSetup {
  settings: AuthSettings
  /** What to tell the operator at start (the new admin token, or a warning). */
  notices: string[]
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export function setUpAuth(
  dataDir: string,
  options: { mode?: 'on' | 'off'; host: string; adminToken?: string },
): AuthSetup {
  const exposed = !isLoopback(options.host)
  const enabled = options.mode ? options.mode === 'on' : exposed
  if (!enabled) {
    const notices = exposed
      ? [
          `WARNING: auth is off on ${options.host}, a non-loopback address: ANYONE who can reach it may`,
          `  run code, overwrite functions, read and delete every namespace's data and files.`,
          `  Use --auth on (the default there) unless a proxy in front does the checking.`,
        ]
      : []
    return { settings: { enabled: false }, notices }
  }
  const notices: string[] = []
  let adminToken = options.adminToken
  if (!adminToken) {
    const stored = readSecret(path.join(dataDir, ADMIN_TOKEN_FILE))
    if (stored) adminToken = stored
    else {
      adminToken = `zv_admin_${randomBytes(32).toString('base64url')}`
      writeSecret(path.join(dataDir, ADMIN_TOKEN_FILE), adminToken)
      notices.push(
        `auth is on. Admin token (shown once; kept in ${path.join(dataDir, ADMIN_TOKEN_FILE)}, mode 0600):`,
        `  ${adminToken}`,
      )
    }
  }
  const secretFile = path.join(dataDir, TOKEN_SECRET_FILE)
  let secret = readSecret(secretFile)
  if (!secret) {
    secret = randomBytes(32).toString('base64url')
    writeSecret(secretFile, secret)
  }
  return {
    settings: { enabled: true, adminToken, secret: new TextEncoder().encode(secret) },
    notices,
  }
}

function readSecret(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

function writeSecret(file: string, value: string): void {
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' })
}
