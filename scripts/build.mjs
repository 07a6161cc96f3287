// Bundles the Node entry points with esbuild; dependencies stay in node_modules.
import { build } from 'esbuild'

const entries = {
  'node/cli': 'edge/adapter/node/cli.ts',
  'node/runtime-thread': 'edge/adapter/node/runtime-thread.ts',
  'node/worker-host-process': 'edge/adapter/node/worker-host-process.ts',
  'node/runner': 'runner/cli.ts',
}

const started = Date.now()
await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
console.log(`built ${Object.keys(entries).length} Node bundles in ${Date.now() - started} ms`)
