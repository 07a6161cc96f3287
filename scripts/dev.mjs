// npm run dev: the orchestrator (rebuilt from source first) on 127.0.0.1:8000 with no internal
// workers, and Vite's dev servers in front of it, with hot reload: the PWA on
// http://127.0.0.1:5173/volunteer/ and the console on http://127.0.0.1:5174/console/
import { spawn } from 'node:child_process'

const port = process.env.PORT ?? '8000'
const children = []
const run = (command, args, env = {}) => {
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  children.push(child)
  child.on('exit', (code) => {
    for (const other of children) if (other !== child) other.kill('SIGTERM')
    process.exitCode = code ?? 0
  })
  return child
}

const build = spawn(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
build.on('exit', (code) => {
  if (code !== 0) {
    process.exitCode = code ?? 1
    return
  }
  run(process.execPath, ['bin/zerverless.js', '--port', port, '--workers', '0'])
  const vite = (...args) =>
    run(process.execPath, ['node_modules/vite/bin/vite.js', '--host', '127.0.0.1', ...args], {
      ZERVERLESS_URL: `http://127.0.0.1:${port}`,
    })
  vite('--port', '5173')
  vite('-c', 'web/console/vite.config.ts', '--port', '5174')
})
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    for (const child of children) child.kill(signal)
  })
