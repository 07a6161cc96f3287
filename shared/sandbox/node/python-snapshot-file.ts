/**
 * The Pyodide snapshot kept as a file beside the thread entry point (`dist/node/`, or a runner's
 * `dist/`), named for the Pyodide version it was made with: a first start writes it, later
 * processes boot their first interpreter from it. Written through a temporary file and a rename,
 * so concurrent processes never read half of one.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PythonSnapshotStore } from '../python-snapshot'
import { entryPoint } from './entry-points'

/** Bumped when what an interpreter is loaded with before its snapshot changes (python-runtime.ts). */
const FORMAT = 1

/** The snapshot file for the installed Pyodide, beside the sandbox threads' entry point. */
function pythonSnapshotPath(): string {
  const pyodideDir = fileURLToPath(new URL('.', import.meta.resolve('pyodide')))
  const { version } = JSON.parse(readFileSync(path.join(pyodideDir, 'package.json'), 'utf8')) as {
    version: string
  }
  const dir = path.dirname(fileURLToPath(entryPoint('runtime-thread')))
  return path.join(dir, `python-${version}-f${FORMAT}.snapshot`)
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
      } catch {
        rmSync(temporary, { force: true })
      }
    },
    discard() {
      rmSync(file, { force: true })
    },
  }
}
