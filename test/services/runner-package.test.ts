/**
 * The `zerverless-runner` package on its own, as a volunteer gets it: `npm pack` of runner/,
 * installed from the tarball into an empty directory outside the repository, answers
 * `npx zerverless-runner --help`, then joins a real orchestrator started here and runs a native
 * service and sandboxed jobs in every runtime. Nothing of the repository is reachable from there.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { toBase64, wasmFixture } from '../helpers/wasm-fixtures'
import {
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const RUNNER_DIR = path.resolve(import.meta.dirname, '../../runner')
const ROOT_PACKAGE = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'),
) as { dependencies: Record<string, string> }

/**
 * npm as a user runs it: without the variables an enclosing `npm test` sets for its own package
 * (prefix, lifecycle), which would point a nested npm back at the repository. The cache and
 * registry settings stay, so the install uses the cache the root `npm ci` warmed.
 */
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^npm_/i.test(key) || /^npm_config_(cache|registry|userconfig)$/i.test(key),
  ),
)
delete userEnv.NODE_PATH
delete userEnv.INIT_CWD

const packDir = tempDir('zv-pack-')
const installDir = tempDir('zv-install-')
const scripts = tempDir('zv-package-scripts-')
let packed: { filename: string; files: { path: string }[] }
let server: ZerverlessProcess
let runner: RunnerProcess | undefined
let client: ReturnType<typeof api>

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, env: userEnv, encoding: 'utf8', stdio: 'pipe' })
const installed = (...parts: string[]) => path.join(installDir, 'node_modules', ...parts)

beforeAll(async () => {
  // The prepack build prints a line before npm's JSON.
  const report = npm(['pack', '--json', '--pack-destination', packDir], RUNNER_DIR)
  packed = JSON.parse(report.slice(report.search(/^\[/m)))[0]
  npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(packDir, packed.filename)],
    installDir,
  )
  server = await startZerverless(['--workers', '0'])
  client = api(server.url)
}, 180_000)

afterAll(async () => {
  if (process.env.ZV_DEBUG) console.log(server?.output(), runner?.output())
  await stopRunner(runner)
  await server?.stop()
  if (server) removeDir(server.dataDir)
  for (const dir of [packDir, installDir, scripts]) removeDir(dir)
})

describe('the packed runner', () => {
  it('holds its bin, its bundles and its manifest, and no sources', () => {
    const files = packed.files.map((f) => f.path).sort()
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/zerverless-runner.js',
        'dist/cli.js',
        'dist/runtime-thread.js',
        'package.json',
      ]),
    )
    expect(files.filter((f) => f.endsWith('.ts') || f.endsWith('.map'))).toEqual([])
  })

  it('pins each dependency it keeps external to the version the orchestrator uses', () => {
    const manifest = JSON.parse(
      readFileSync(installed('zerverless-runner', 'package.json'), 'utf8'),
    )
    const deps = Object.entries(manifest.dependencies as Record<string, string>)
    expect(deps.length).toBeGreaterThan(0)
    for (const [name, version] of deps) expect(version).toBe(ROOT_PACKAGE.dependencies[name])
    // Only what the runner needs: not the orchestrator's SQLite, web app or HTTP server.
    for (const name of ['better-sqlite3', 'hono', 'preact', 'zerverless'])
      expect(existsSync(installed(name)), name).toBe(false)
  })

  it('explains itself with npx zerverless-runner --help in the directory it was installed in', () => {
    const help = execFileSync('npx', ['--no-install', 'zerverless-runner', '--help'], {
      cwd: installDir,
      env: userEnv,
      encoding: 'utf8',
    })
    for (const flag of ['--orchestrator', '--data-dir', '--allow-path', '--no-native'])
      expect(help).toContain(flag)
  })

  it('joins an orchestrator and runs a native service there', async () => {
    runner = await startRunner(server.url, [], {
      bin: installed('zerverless-runner', 'bin', 'zerverless-runner.js'),
      cwd: installDir,
      env: { ...userEnv, NODE_PATH: undefined },
    })
    const file = path.join(scripts, 'hello.sh')
    writeFileSync(file, '#!/bin/sh\necho "native from the package: $1"\n')
    chmodSync(file, 0o755)
    const created = await client.post('/api/services/standalone/from-local', {
      service_name: 'packaged',
      executable_path: file,
      arguments: ['ok'],
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await client.post(`/api/services/standalone/${created.body.service.id}/run`, {})
    const job = (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
    expect(job).toMatchObject({ status: 'completed', output: 'native from the package: ok\n' })
  }, 60_000)

  it('runs sandboxed JavaScript, Lua, Python and WebAssembly jobs there', async () => {
    expect(runner, 'the runner from the package is connected').toBeDefined()
    const jobs = await Promise.all([
      client.run({ job_type: 'js', code: '6 * 7' }, 60),
      client.run({ job_type: 'lua', code: 'return 6 * 7' }, 60),
      client.run({ job_type: 'python', code: '6 * 7' }, 60),
      client.run(
        {
          job_type: 'wasm',
          wasm_base64: toBase64(await wasmFixture('echo')),
          input_data: { answer: 42 },
        },
        60,
      ),
    ])
    expect(jobs.map((j) => [j.status, j.result])).toEqual([
      ['completed', 42],
      ['completed', 42],
      ['completed', 42],
      ['completed', { answer: 42 }],
    ])
  }, 90_000)
})
