// npm run dev:edge: the orchestrator under workerd (`wrangler dev`, auth off, as on loopback) with
// a `zerverless --worker` attached, like `npm start` with its internal workers: started and
// stopped together. Wrangler's flags pass through (`npm run dev:edge -- --port 8788`);
// `--workers <n>` is the attached worker's (default: one per CPU core).
import { spawn, spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const WRANGLER = 'node_modules/wrangler/wrangler-dist/cli.js'

/** The value after `--name` (or in `--name=value`) among wrangler's flags, else the default. */
function flag(args, name, fallback) {
  const at = args.findIndex((arg) => arg === name || arg.startsWith(`${name}=`))
  if (at === -1) return fallback
  return args[at].includes('=') ? args[at].slice(name.length + 1) : args[at + 1]
}

const given = process.argv.slice(2)
const workersAt = given.indexOf('--workers')
const workers = workersAt === -1 ? [] : ['--workers', given[workersAt + 1]]
const wranglerArgs = workersAt === -1 ? given : given.toSpliced(workersAt, 2)
// Loopback unless told otherwise: AUTH is off here, so the API is open to whoever can reach it.
const ip = flag(wranglerArgs, '--ip', '127.0.0.1')
const port = flag(wranglerArgs, '--port', '8787')
const url = `http://${ip}:${port}`

// The worker runs dist/node and the Worker serves dist/web: build them if a source changed.
const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], {
  cwd: root,
  stdio: 'inherit',
})
if (build.status !== 0) process.exit(build.status ?? 1)

const children = new Set()
let stopping = false
/** Stops both: wrangler with SIGINT (which also ends workerd), the worker with SIGTERM (drain). */
function stopAll(code) {
  if (!stopping) process.exitCode = code
  stopping = true
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null)
      child.kill(child === wrangler ? 'SIGINT' : 'SIGTERM')
}
function start(args, name) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' })
  children.add(child)
  child.on('exit', (code) => {
    children.delete(child)
    if (!stopping) console.error(`zerverless dev:edge: ${name} exited (${code}); stopping`)
    stopAll(code ?? 1)
  })
  return child
}

const wrangler = start(
  [
    WRANGLER,
    'dev',
    ...(flag(wranglerArgs, '--ip', undefined) === undefined ? ['--ip', ip] : []),
    '--var',
    'AUTH:off',
    ...wranglerArgs,
  ],
  'wrangler dev',
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(0))

/** Waits for the Worker's /health, then attaches the worker. */
async function attach() {
  for (;;) {
    if (stopping) return
    const healthy = await globalThis
      .fetch(`${url}/health`)
      .then((res) => res.ok)
      .catch(() => false)
    if (healthy) break
    await sleep(250)
  }
  const wsUrl = `${url.replace(/^http/, 'ws')}/ws/volunteer`
  const worker = start(['bin/zerverless.js', '--worker', wsUrl, ...workers], 'the worker')
  console.log(
    `zerverless dev:edge on ${url} · volunteer page ${url}/volunteer/ · API docs ${url}/docs ` +
      `(wrangler dev pid ${wrangler.pid}, worker pid ${worker.pid}; Ctrl-C stops both)`,
  )
}
void attach()
