/**
 * A real git repository on this machine for tests: a bare `origin.git` and a working clone that
 * commits files and pushes branches to it. No network; runners clone it with a file:// URL.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface GitRepo {
  /** The bare repository's absolute path. */
  bare: string
  /** `file://` + the bare repository's path. */
  url: string
  /**
   * Commits `files` (path → content) on `branch`, which starts from the current commit when new,
   * and pushes it. Returns the commit's hash.
   */
  push(branch: string, files: Record<string, string>, message?: string): string
}

/** Creates `origin.git` and a working clone `work` inside `root`. */
export function gitRepo(root: string): GitRepo {
  const bare = path.join(root, 'origin.git')
  const work = path.join(root, 'work')
  // The machine's own git settings (signing, hooks, templates) stay out of the tests' commits.
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim()
  git(root, 'init', '--quiet', '--bare', '-b', 'main', bare)
  git(root, 'init', '--quiet', '-b', 'main', work)
  git(work, 'config', 'user.name', 'Zerverless Test')
  git(work, 'config', 'user.email', 'test@zerverless.invalid')
  git(work, 'remote', 'add', 'origin', bare)
  return {
    bare,
    url: `file://${bare}`,
    push(branch, files, message = `update ${branch}`) {
      try {
        git(work, 'checkout', '--quiet', branch)
      } catch {
        git(work, 'checkout', '--quiet', '-b', branch)
      }
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(work, name)
        mkdirSync(path.dirname(file), { recursive: true })
        writeFileSync(file, content)
      }
      git(work, 'add', '--all')
      git(work, 'commit', '--quiet', '-m', message)
      git(work, 'push', '--quiet', 'origin', branch)
      return git(work, 'rev-parse', 'HEAD')
    },
  }
}
