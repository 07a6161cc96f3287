/** Assembles the WAT fixtures in test/fixtures/wasm with wabt, the reference assembler. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import wabtInit from 'wabt'

const DIR = path.resolve(import.meta.dirname, '../fixtures/wasm')

export async function wasmFixture(name: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const parsed = wabt.parseWat(`${name}.wat`, readFileSync(path.join(DIR, `${name}.wat`), 'utf8'))
  try {
    return new Uint8Array(parsed.toBinary({}).buffer)
  } finally {
    parsed.destroy()
  }
}

export const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
