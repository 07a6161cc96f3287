/**
 * The key that seals secrets at rest on Node: given (`--secrets-key`, ZERVERLESS_SECRETS_KEY), or
 * kept in `{data-dir}/secrets.key` (mode 0600), generated there on first start. Losing that file
 * loses every stored secret, so it is never replaced once written.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { SecretBox } from '../core/secrets/secret-box'

const KEY_FILE = 'secrets.key'

/** The box for `dataDir`; throws with the reason when a given or stored key is not a key. */
export async function loadSecretBox(dataDir: string, given?: string): Promise<SecretBox> {
  const file = path.join(dataDir, KEY_FILE)
  const text = given ?? (await storedKey(file))
  const made = await SecretBox.fromText(text)
  if (!made.ok) throw new Error(given === undefined ? `${file}: ${made.reason}` : made.reason)
  return made.box
}

async function storedKey(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = SecretBox.newKeyText()
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
    return key
  } catch (err) {
    // Another process of this data directory wrote it first: theirs is the key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file, 'utf8')
    throw err
  }
}
