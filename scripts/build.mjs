// Bundles the Node entry points with esbuild. The orchestrator's bundles (dist/node/) leave every
// package in node_modules; the runner's (runner/dist/) carry all but the few it declares, so that
// `npm pack` of runner/ is a package that works on its own. `--runner` builds only the runner's
// (its prepack does that).
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const runnerOnly = process.argv.includes('--runner')

/**
 * What the runner keeps external: packages that find their wasm and data files beside their own
 * modules (Pyodide, wasmoon, the QuickJS variant) and ws, which Pyodide depends on anyway and
 * which looks for optional native add-ons. runner/package.json must declare exactly these, at
 * the versions the root package.json pins.
 */
const RUNNER_EXTERNAL = ['@jitl/quickjs-wasmfile-release-sync', 'pyodide', 'wasmoon', 'ws']

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
}

const started = Date.now()
checkRunnerDependencies()
if (!runnerOnly) removeOldChunks()
const builds = [
  build({
    ...common,
    entryPoints: {
      cli: 'runner/cli.ts',
      'runtime-thread': 'shared/sandbox/node/runtime-thread.ts',
    },
    outdir: 'runner/dist',
    external: RUNNER_EXTERNAL,
    // Bundled CommonJS (commander) calls require() for Node's own modules; ESM has none.
    banner: {
      js: "import { createRequire as __zvCreateRequire } from 'node:module'; const require = __zvCreateRequire(import.meta.url);",
    },
  }),
]
if (!runnerOnly)
  builds.push(
    build({
      ...common,
      entryPoints: {
        'node/cli': 'edge/node/cli.ts',
        'node/runtime-thread': 'shared/sandbox/node/runtime-thread.ts',
        'node/worker-host-process': 'shared/agent/node/worker-host-process.ts',
        'node/compile-thread': 'edge/node/compile-thread.ts',
      },
      outdir: 'dist',
      packages: 'external',
      // `zerverless <verb>` loads only the client's modules (and packages): the server's are a
      // chunk that `zerverless serve` imports. Chunks sit beside the entries in dist/node/, so
      // paths a module takes from import.meta.url mean the same in either.
      splitting: true,
      chunkNames: 'node/chunk-[hash]',
    }),
  )
await Promise.all(builds)
console.log(
  `built ${runnerOnly ? 'the runner' : 'the orchestrator and the runner'} in ${Date.now() - started} ms`,
)

/** Chunk names carry a hash of their content: without this, every build would leave its own. */
function removeOldChunks() {
  const dir = new URL('dist/node/', `file://${root}`)
  let names = []
  try {
    names = readdirSync(dir)
  } catch {
    return // nothing built yet
  }
  for (const name of names) if (name.startsWith('chunk-')) rmSync(new URL(name, dir))
}

/** Fails the build when runner/package.json's dependencies drift from RUNNER_EXTERNAL or the root's pins. */
function checkRunnerDependencies() {
  const read = (file) => JSON.parse(readFileSync(new URL(file, `file://${root}`), 'utf8'))
  const pinned = read('package.json').dependencies
  const declared = read('runner/package.json').dependencies ?? {}
  const problems = []
  for (const name of RUNNER_EXTERNAL)
    if (declared[name] !== pinned[name])
      problems.push(
        `${name} must be "${pinned[name]}" (the root's pin), not ${JSON.stringify(declared[name])}`,
      )
  for (const name of Object.keys(declared))
    if (!RUNNER_EXTERNAL.includes(name))
      problems.push(`${name} is declared but bundled, not external`)
  if (problems.length)
    throw new Error(`runner/package.json dependencies:\n  ${problems.join('\n  ')}`)
}
