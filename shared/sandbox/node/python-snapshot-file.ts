/**
 * The Pyodide snapshot kept as a file beside the thread entry point (`dist/node/`, or a runner's
 * `dist/`), named for the Pyodide version and the thread bundle it was made with (the bundle holds
 * the prelude and the lockdown a snapshot bakes in, so a rebuilt or upgraded install never boots
 * from an older one): a first start writes it, later processes boot their first interpreter from
 * it. Written through a temporary file and a rename, so concurrent processes never read half of
 * one; saving removes the snapshots of other builds.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PythonSnapshotStore } from '../python-snapshot'
import { entryPoint } from './entry-points'

/** The snapshot file for the installed Pyodide, beside the sandbox threads' entry point. */
function pythonSnapshotPath(): string {
  const pyodideDir = fileURLToPath(new URL('.', import.meta.resolve('pyodide')))
  const { version } = JSON.parse(readFileSync(path.join(pyodideDir, 'package.json'), 'utf8')) as {
    version: string
  }
  const bundle = fileURLToPath(entryPoint('runtime-thread'))
  const build = createHash('sha256').update(readIfThere(bundle)).digest('hex').slice(0, 16)
  return path.join(path.dirname(bundle), `python-${version}-${build}.snapshot`)
}

/** A snapshot store in one file; failures to read or write leave the pool as without a store. */
export function pythonSnapshotFile(file = pythonSnapshotPath()): PythonSnapshotStore {
  return {
    load() {
      try {
        return new Uint8Array(readFileSync(file))
      } catch {
        return undefined
      }
    },
    save(bytes) {
      const temporary = `${file}.${process.pid}.${Date.now()}.tmp`
      try {
        mkdirSync(path.dirname(file), { recursive: true })
        writeFileSync(temporary, bytes)
        renameSync(temporary, file)
        removeOtherSnapshots(file)
      } catch {
        rmSync(temporary, { force: true })
      }
    },
    discard() {
      rmSync(file, { force: true })
    },
  }
}

/** Snapshots of earlier builds beside this one are dead weight (tens of MiB each). */
function removeOtherSnapshots(file: string): void {
  const dir = path.dirname(file)
  for (const name of readdirSync(dir)) {
    if (name.startsWith('python-') && name.endsWith('.snapshot') && name !== path.basename(file))
      rmSync(path.join(dir, name), { force: true })
  }
}

function readIfThere(file: string): Uint8Array {
  try {
    return readFileSync(file)
  } catch {
    return new Uint8Array()
  }
}
