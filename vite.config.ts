/**
 * The volunteer PWA (`web/`), built to `dist/web/` and served by the orchestrator at `/volunteer/`.
 * `npm run dev` runs Vite's dev server with the orchestrator behind its proxy.
 */
import { copyFileSync, createReadStream, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import preact from '@preact/preset-vite'
import { build, defineConfig, type Plugin } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import { ISOLATION_HEADERS } from './edge/core/assets/isolation-headers.ts'

const root = path.dirname(fileURLToPath(import.meta.url))
const pyodideDir = path.join(root, 'node_modules/pyodide')
/** What loadPyodide fetches: the loader, the wasm, the standard library and the package lock. */
const PYODIDE_FILES = [
  'pyodide.mjs',
  'pyodide.asm.mjs',
  'pyodide.asm.wasm',
  'python_stdlib.zip',
  'pyodide-lock.json',
]
const orchestrator = process.env.ZERVERLESS_URL ?? 'http://127.0.0.1:8000'

/** Pyodide comes from its npm package: copied beside the build, served from node_modules in dev. */
function pyodideFiles(): Plugin {
  return {
    name: 'zerverless-pyodide-files',
    configureServer(server) {
      server.middlewares.use('/volunteer/pyodide/', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]?.replace(/^\//, '') ?? ''
        if (!PYODIDE_FILES.includes(name)) return next()
        const type = name.endsWith('.wasm')
          ? 'application/wasm'
          : name.endsWith('.json')
            ? 'application/json'
            : name.endsWith('.zip')
              ? 'application/zip'
              : 'text/javascript'
        res.setHeader('content-type', type)
        createReadStream(path.join(pyodideDir, name)).pipe(res)
      })
    },
    writeBundle(options) {
      const out = path.join(options.dir ?? path.join(root, 'dist/web'), 'pyodide')
      mkdirSync(out, { recursive: true })
      for (const name of PYODIDE_FILES)
        copyFileSync(path.join(pyodideDir, name), path.join(out, name))
    },
  }
}

/** The console is its own build (base /console/, no service worker), run after this one's. */
function consoleBuild(): Plugin {
  let building = false
  return {
    name: 'zerverless-console-build',
    apply: 'build',
    async closeBundle() {
      if (building) return
      building = true
      await build({ configFile: path.join(root, 'web/console/vite.config.ts'), logLevel: 'warn' })
    },
  }
}

/**
 * Swagger UI for `/docs` comes from its npm package, copied beside the build (no CDN); the page
 * and its init script are ours, in web/public/docs/.
 */
function swaggerUiFiles(): Plugin {
  const dir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  return {
    name: 'zerverless-swagger-ui-files',
    writeBundle(options) {
      const out = path.join(options.dir ?? path.join(root, 'dist/web'), 'docs')
      mkdirSync(out, { recursive: true })
      for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css'])
        copyFileSync(path.join(dir, name), path.join(out, name))
    },
  }
}

export default defineConfig({
  root: 'web',
  base: '/volunteer/',
  publicDir: 'public',
  build: {
    outDir: path.join(root, 'dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
  },
  worker: { format: 'es' },
  server: {
    headers: ISOLATION_HEADERS,
    proxy: {
      ...Object.fromEntries(
        ['/api', '/health', '/info', '/stats', '/static'].map((prefix) => [prefix, orchestrator]),
      ),
      // The volunteer socket goes to the orchestrator; Vite's own HMR socket stays Vite's.
      '/ws/volunteer': { target: orchestrator.replace(/^http/, 'ws'), ws: true },
    },
  },
  preview: { headers: ISOLATION_HEADERS },
  plugins: [
    preact(),
    pyodideFiles(),
    consoleBuild(),
    swaggerUiFiles(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      strategies: 'generateSW',
      filename: 'sw.js',
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['icons/*.png', 'favicon.svg'],
      manifest: {
        name: 'Zerverless volunteer',
        short_name: 'Zerverless',
        description: 'Donate spare compute: this tab runs other people’s jobs in sandboxes.',
        id: '/volunteer/',
        start_url: '/volunteer/',
        scope: '/volunteer/',
        display: 'standalone',
        background_color: '#0f172a',
        theme_color: '#312e81',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: 'icons/maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      workbox: {
        // The app shell and the light runtimes are precached; Pyodide (~14 MB) is cached on first use.
        globPatterns: ['**/*.{js,css,html,wasm,svg,png,webmanifest}'],
        globIgnores: ['pyodide/**', 'console/**', 'docs/**'],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        navigateFallback: '/volunteer/index.html',
        navigateFallbackAllowlist: [/^\/volunteer\//],
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.startsWith('/volunteer/pyodide/'),
            handler: 'CacheFirst',
            options: { cacheName: 'zerverless-pyodide', expiration: { maxEntries: 16 } },
          },
        ],
      },
      // No service worker under `npm run dev`: it would cache what Vite is still changing.
      devOptions: { enabled: false },
    }),
  ],
})
