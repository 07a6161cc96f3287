/** The examples/ directory ships what its sources build: echo.wasm is echo.wat assembled. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import wabtInit from 'wabt'

const DIR = path.resolve(import.meta.dirname, '../../examples')

describe('examples/', () => {
  it('ships echo.wasm assembled from echo.wat', async () => {
    const wabt = await wabtInit()
    const built = new Uint8Array(
      wabt.parseWat('echo.wat', readFileSync(path.join(DIR, 'echo.wat'), 'utf8')).toBinary({})
        .buffer,
    )
    expect(new Uint8Array(readFileSync(path.join(DIR, 'echo.wasm')))).toEqual(built)
  })
})
