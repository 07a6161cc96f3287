// `npm start`'s build step: rebuilds dist/ (the orchestrator's bundles, the runner's, the
// volunteer PWA) only when a source it is made from changed since the last build, and quietly:
// one line when it rebuilt, the build's own output only when it failed. `npm install` builds once
// (the `prepare` script); `npm run build` always builds, and stamps what it built (`--stamp`).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const STAMP = path.join(root, 'dist', '.sources-stamp')
/** What dist/ is made from; tests, built output and dependencies' own trees are not. */
const SOURCES = ['edge', 'shared', 'runner', 'web', 'scripts']
const FILES = ['package.json', 'package-lock.json', 'vite.config.ts', 'tsconfig.base.json']
const SKIP_DIRS = new Set(['node_modules', 'dist', 'generated'])

/** Each source file's path, size and modification time, as one text: equal means unchanged. */
function fingerprint() {
  const entries = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(full)
      } else if (!/\.test\.tsx?$|\.tsbuildinfo$/.test(entry.name)) {
        const { size, mtimeMs } = statSync(full)
        entries.push(`${path.relative(root, full)}\t${size}\t${Math.trunc(mtimeMs)}`)
      }
    }
  }
  for (const dir of SOURCES) walk(path.join(root, dir))
  for (const file of FILES) {
    const full = path.join(root, file)
    if (existsSync(full)) {
      const { size, mtimeMs } = statSync(full)
      entries.push(`${file}\t${size}\t${Math.trunc(mtimeMs)}`)
    }
  }
  return entries.sort().join('\n')
}

const built = ['dist/node/cli.js', 'dist/web/index.html', 'runner/dist/cli.js'].every((file) =>
  existsSync(path.join(root, file)),
)
const now = fingerprint()
// `npm run build` ends with `--stamp`: what it just built is current, so `npm start` need not
// build it again.
if (process.argv.includes('--stamp')) {
  if (built) writeFileSync(STAMP, now)
  process.exit(0)
}
const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8') : undefined
if (built && stamp === now) process.exit(0)

const started = Date.now()
for (const [command, args] of [
  [process.execPath, ['scripts/build.mjs']],
  [process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error']],
]) {
  const run = spawnSync(command, args, { cwd: root, encoding: 'utf8' })
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}`)
    console.error(`zerverless: the build failed (${args.join(' ')})`)
    process.exit(run.status ?? 1)
  }
}
writeFileSync(STAMP, now)
console.log(
  `zerverless: ${built ? 'sources changed, ' : ''}built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`,
)
