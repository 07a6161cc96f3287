/**
 * GitOps' repositories on the Node host: the git CLI (as the runner's from-git builds use it), a
 * bare copy per application under `{data-dir}/gitops/{namespace}/{name}.git`, read by commit
 * without a working tree. Credentials reach git only through an askpass helper's environment.
 */
import { execFile, type ExecFileOptions } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type {
  Fetched,
  RepoAuth,
  RepoFile,
  RepoKey,
  RepoReader,
  RepoSnapshot,
  RepoSource,
} from '../core/gitops/repo-reader'

const FETCH_TIMEOUT_MS = 2 * 60_000
const READ_TIMEOUT_MS = 30_000
/** Protocols git may use, redirects and submodules included; `ext::` and the like never. */
const REMOTE_PROTOCOLS = 'https:http:ssh:git'

type Run = (args: string[], options?: ExecFileOptions) => Promise<Buffer>

export class GitRepoReader implements RepoReader {
  constructor(private readonly root: string) {}

  async fetch(
    key: RepoKey,
    source: RepoSource,
    options: { auth?: RepoAuth | undefined; revision?: string | undefined; allowLocal: boolean },
  ): Promise<Fetched> {
    const dir = this.#dir(key)
    const askpass = options.auth ? await askpassScript() : undefined
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: os.homedir(),
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ALLOW_PROTOCOL: options.allowLocal ? `${REMOTE_PROTOCOLS}:file` : REMOTE_PROTOCOLS,
      ...(askpass && {
        GIT_ASKPASS: askpass.script,
        ZV_GIT_USERNAME: 'username' in options.auth! ? options.auth.username : 'x-access-token',
        ZV_GIT_PASSWORD: 'token' in options.auth! ? options.auth.token : options.auth!.password,
      }),
    }
    const git: Run = (args, extra = {}) => runGit(dir, args, { env, ...extra })
    try {
      if (!(await exists(dir))) {
        await mkdir(path.dirname(dir), { recursive: true })
        await runGit(path.dirname(dir), ['init', '--quiet', '--bare', dir], { env })
      }
      const ref = `refs/heads/${source.branch}`
      await git(
        [
          '-c',
          'credential.helper=',
          'fetch',
          '--quiet',
          '--no-tags',
          '--force',
          '--',
          source.repoURL,
          `+${ref}:${ref}`,
        ],
        { timeout: FETCH_TIMEOUT_MS },
      )
      const wanted = options.revision ?? ref
      let commit: string
      try {
        commit = (await git(['rev-parse', '--verify', '--quiet', `${wanted}^{commit}`]))
          .toString()
          .trim()
      } catch {
        return {
          ok: false,
          error: options.revision
            ? `commit ${options.revision} is not in branch ${source.branch}'s history`
            : `branch ${source.branch} has no commit`,
        }
      }
      if (options.revision) {
        try {
          await git(['merge-base', '--is-ancestor', commit, ref])
        } catch {
          return {
            ok: false,
            error: `commit ${options.revision} is not in branch ${source.branch}'s history`,
          }
        }
      }
      return { ok: true, snapshot: snapshot(git, commit) }
    } catch (err) {
      return {
        ok: false,
        error: `git fetch of ${source.repoURL} failed: ${redact(errorText(err), options.auth)}`,
      }
    } finally {
      if (askpass) await rm(askpass.dir, { recursive: true, force: true })
    }
  }

  async forget(key: RepoKey): Promise<void> {
    await rm(this.#dir(key), { recursive: true, force: true })
  }

  /** Namespaces and application names are single path segments (their schemas say so). */
  #dir(key: RepoKey): string {
    return path.join(this.root, key.namespace, `${key.name}.git`)
  }
}

/** A commit's files, read with `ls-tree` and `cat-file` (no checkout, so nothing to race). */
function snapshot(git: Run, commit: string): RepoSnapshot {
  const env = { timeout: READ_TIMEOUT_MS }
  const entry = async (file: string) => {
    const out = (await git(['ls-tree', '-l', '-z', commit, '--', file], env)).toString()
    const [meta, name] = out.split('\0')[0]?.split('\t') ?? []
    if (!meta || name !== file) return undefined
    const [mode, type, object, size] = meta.split(/\s+/)
    if (type !== 'blob' || (mode !== '100644' && mode !== '100755') || !object) return undefined
    return { object, size: Number(size) }
  }
  return {
    commit,
    async read(file, maxBytes) {
      const found = await entry(file)
      if (!found) return undefined
      if (found.size > maxBytes) throw new Error(`${file} is larger than ${maxBytes} bytes`)
      const bytes = await git(['cat-file', 'blob', found.object], {
        ...env,
        maxBuffer: maxBytes + 1,
      })
      return new Uint8Array(bytes)
    },
    async list(dir) {
      const prefix = dir.replace(/\/+$/, '') + '/'
      const out = (
        await git(['ls-tree', '-r', '-l', '-z', commit, '--', prefix], {
          ...env,
          maxBuffer: 64 * 1024 * 1024,
        })
      ).toString()
      const files: RepoFile[] = []
      for (const line of out.split('\0')) {
        const [meta, name] = line.split('\t')
        if (!meta || !name?.startsWith(prefix)) continue
        const [mode, type, , size] = meta.split(/\s+/)
        if (type === 'blob' && (mode === '100644' || mode === '100755'))
          files.push({ path: name.slice(prefix.length), size: Number(size) })
      }
      return files
    },
  }
}

function runGit(cwd: string, args: string[], options: ExecFileOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile(
      'git',
      args,
      { cwd, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024, ...options },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: String(stderr) }))
        else resolve(stdout as unknown as Buffer)
      },
    ),
  )
}

/** A one-use askpass script that answers from its environment, never from its arguments. */
async function askpassScript(): Promise<{ dir: string; script: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zv-askpass-'))
  const script = path.join(dir, 'askpass.sh')
  await writeFile(
    script,
    '#!/bin/sh\ncase "$1" in\n  Username*) printf \'%s\\n\' "$ZV_GIT_USERNAME" ;;\n  *) printf \'%s\\n\' "$ZV_GIT_PASSWORD" ;;\nesac\n',
  )
  await chmod(script, 0o700)
  return { dir, script }
}

const exists = (dir: string) =>
  stat(dir).then(
    () => true,
    () => false,
  )

function errorText(err: unknown): string {
  const stderr = (err as { stderr?: string }).stderr?.trim()
  const text = stderr || (err instanceof Error ? err.message : String(err))
  return text.split('\n').slice(-3).join(' ').slice(0, 2000)
}

/** Keeps credentials out of messages, those written into a URL included. */
function redact(text: string, auth: RepoAuth | undefined): string {
  let out = text.replace(/(\/\/)[^/@\s]+@/g, '$1***@')
  const secrets = !auth ? [] : 'token' in auth ? [auth.token] : [auth.password, auth.username]
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***')
  return out
}
