/** Where the bundled thread entry points are: beside this file in `dist/`, or in `dist/` when run from source (tests). */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function entryPoint(name: 'runtime-thread' | 'worker-host-process'): URL {
  const beside = new URL(`./${name}.js`, import.meta.url)
  if (existsSync(fileURLToPath(beside))) return beside
  return new URL(`../../../dist/node/${name}.js`, import.meta.url)
}
