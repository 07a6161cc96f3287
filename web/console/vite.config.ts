/**
 * The web console (`web/console/`): its own small build so it has its own base (`/console/`) and
 * no service worker. It is written into the volunteer PWA's output (`dist/web/console/`) so both
 * hosts serve it from the asset source they already have; the PWA's build runs this one after its
 * own (see `consoleBuild` in ../../vite.config.ts), so `vite build` always builds both.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import preact from '@preact/preset-vite'
import { defineConfig } from 'vite'

const here = path.dirname(fileURLToPath(import.meta.url))
const orchestrator = process.env.ZERVERLESS_URL ?? 'http://127.0.0.1:8000'

export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  build: {
    outDir: path.join(here, '../../dist/web/console'),
    emptyOutDir: true,
    target: 'es2022',
  },
  // `npx vite -c web/console/vite.config.ts` serves the console against a running orchestrator.
  server: {
    proxy: Object.fromEntries(
      ['/api', '/health', '/static', '/openapi.json'].map((prefix) => [prefix, orchestrator]),
    ),
  },
  plugins: [preact()],
})
