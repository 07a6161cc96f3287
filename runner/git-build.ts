/**
 * A git service's executable: clone the repository (git CLI, shallow, one branch), run the build
 * command, find the executable. Credentials reach git only through an askpass helper's
 * environment: never on a command line, in a file, or in a message.
 */
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Containment } from './native/process-tree'
import { runProcess } from './native/run-process'

const run = promisify(execFile)
const CLONE_TIMEOUT_MS = 5 * 60_000
const BUILD_TIMEOUT_MS = 5 * 60_000

export interface GitSource {
  repo_url: string
  branch?: string
  build_command?: string
  username?: string
  password?: string
}

export type Built = { ok: true; commit: string } | { ok: false; error: string }

/**
 * Clones `source` into `checkout` (replacing what was there) and builds it; the build is held
 * like a run (`containment`, default: the best this machine offers).
 */
export async function cloneAndBuild(
  source: GitSource,
  checkout: string,
  logs: string,
  options: { containment?: Containment } = {},
): Promise<Built> {
  await rm(checkout, { recursive: true, force: true })
  await mkdir(path.dirname(checkout), { recursive: true })
  const cloned = await clone(source, checkout)
  if (!cloned.ok) return cloned
  let commit = 'unknown'
  try {
    commit = (await run('git', ['-C', checkout, 'rev-parse', 'HEAD'])).stdout.trim()
  } catch {
    // A clone without a readable HEAD still builds; the hash stays unknown.
  }
  if (source.build_command?.trim()) {
    const built = await runProcess({
      executable: '/bin/sh',
      arguments: ['-c', source.build_command],
      workingDirectory: checkout,
      environment: {},
      timeoutMs: BUILD_TIMEOUT_MS,
      outputDir: logs,
      ...(options.containment && { containment: options.containment }),
    })
    if (built.status !== 'exited' || built.exitCode !== 0) {
      const stderr = await readFile(path.join(logs, 'stderr.txt'), 'utf8').catch(() => '')
      const why =
        built.status === 'exited'
          ? `build command exited with code ${built.exitCode}`
          : built.message
      return { ok: false, error: `build failed: ${why}: ${stderr.trim().slice(-2000)}` }
    }
  }
  return { ok: true, commit }
}

async function clone(
  source: GitSource,
  checkout: string,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const args = ['-c', 'credential.helper=', 'clone', '--depth', '1', '--single-branch']
  if (source.branch) args.push('--branch', source.branch)
  args.push('--', source.repo_url, checkout)
  const askpassDir = source.username || source.password ? await askpass() : undefined
  try {
    await run('git', args, {
      timeout: CLONE_TIMEOUT_MS,
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: os.homedir(),
        GIT_TERMINAL_PROMPT: '0',
        ...(askpassDir && {
          GIT_ASKPASS: path.join(askpassDir, 'askpass.sh'),
          ZV_GIT_USERNAME: source.username ?? '',
          ZV_GIT_PASSWORD: source.password ?? '',
        }),
      },
    })
    return { ok: true }
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message
    return { ok: false, error: `failed to clone repository: ${redact(stderr.trim(), source)}` }
  } finally {
    if (askpassDir) await rm(askpassDir, { recursive: true, force: true })
  }
}

/** A one-use askpass script that answers from its environment. */
async function askpass(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zv-askpass-'))
  const script = path.join(dir, 'askpass.sh')
  await writeFile(
    script,
    '#!/bin/sh\ncase "$1" in\n  Username*) printf \'%s\\n\' "$ZV_GIT_USERNAME" ;;\n  *) printf \'%s\\n\' "$ZV_GIT_PASSWORD" ;;\nesac\n',
  )
  await chmod(script, 0o700)
  return dir
}

/** Keeps secrets out of messages, including credentials written into the URL itself. */
function redact(text: string, source: GitSource): string {
  let out = text.replace(/(\/\/)[^/@\s]+@/g, '$1***@')
  for (const secret of [source.password, source.username])
    if (secret && secret.length >= 3) out = out.split(secret).join('***')
  return out
}
