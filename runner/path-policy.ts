/**
 * Which executables the runner's owner lets services run: `--allow-path` globs, matched against
 * the executable's real path (symlinks and `..` resolved), checked when a service registers and
 * again before every run. Without the flag: anything when the orchestrator is on this machine
 * (loopback: the developer's own), nothing otherwise. The word `services` stands for the
 * runner's own services directory, where uploaded services are fetched and from-git ones built.
 */
import { realpath } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

/** The one word `--allow-path` takes besides absolute globs. */
export const SERVICES_WORD = 'services'

export interface PathPolicy {
  /** Absolute globs, symlinks in their fixed part resolved; empty allows nothing. */
  readonly patterns: readonly string[]
  /** Where the patterns came from, for the runner's log. */
  readonly origin: string
  allows(realPath: string): boolean
}

/**
 * The policy for `--allow-path` values (each may hold several, comma-separated), or the default
 * for an orchestrator at `orchestratorHost` when there are none.
 */
export async function pathPolicy(options: {
  allowPath: string[] | undefined
  orchestratorHost: string
  servicesDir: string
}): Promise<{ ok: true; policy: PathPolicy } | { ok: false; message: string }> {
  const { allowPath, orchestratorHost, servicesDir } = options
  let globs: string[]
  let origin: string
  if (allowPath === undefined) {
    const local = isLoopbackHost(orchestratorHost)
    globs = local ? ['/**'] : []
    origin = local
      ? `the default while the orchestrator (${orchestratorHost}) is on this machine`
      : `the default while the orchestrator (${orchestratorHost}) is elsewhere: allow paths with --allow-path`
  } else {
    globs = []
    for (const value of allowPath.flatMap((v) => v.split(',')).map((v) => v.trim())) {
      if (value === '') continue
      if (value === SERVICES_WORD) globs.push(`${servicesDir}/**`)
      else if (path.posix.isAbsolute(value)) globs.push(value.endsWith('/') ? `${value}**` : value)
      else
        return {
          ok: false,
          message: `--allow-path '${value}' must be an absolute path or glob (e.g. '/opt/tools/*'), or the word '${SERVICES_WORD}'`,
        }
    }
    origin = '--allow-path'
  }
  const patterns = await Promise.all(globs.map(resolveFixedPart))
  const matchers = patterns.map(globToRegExp)
  return {
    ok: true,
    policy: { patterns, origin, allows: (real) => matchers.some((m) => m.test(real)) },
  }
}

/** The file's real path and whether the policy allows it; a missing file is judged by its path. */
export async function checkAllowed(
  policy: PathPolicy,
  file: string,
): Promise<{ allowed: boolean; real: string }> {
  const lexical = path.resolve(file)
  const real = await realpath(lexical).catch(() => lexical)
  return { allowed: policy.allows(real), real }
}

/**
 * A glob as a regular expression over absolute paths: `*` and `?` stay within one directory
 * level (dot files included), `**` as a whole level spans any number of them, including none.
 */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (const part of glob.split('/').slice(1)) {
    if (part === '**') {
      source += '(?:/.*)?'
      continue
    }
    source += '/'
    for (const char of part) {
      if (char === '*') source += '[^/]*'
      else if (char === '?') source += '[^/]'
      else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')
    }
  }
  return new RegExp(`^${source || '/'}$`)
}

/**
 * The refusal, in the words the API caller gets back (as `403 PATH_NOT_ALLOWED`): what was not
 * allowed and how the runner's owner allows it. Only the path as given: where a symlink leads is
 * for the owner's log, not for whoever asked.
 */
export function notAllowed(
  file: string,
  what: 'path' | 'git' | 'upload',
): { ok: false; code: 'PATH_NOT_ALLOWED'; error: string } {
  const error =
    what === 'path'
      ? `this runner does not allow running ${file}: its owner decides what services may run there, with --allow-path (absolute globs matched after symlinks are resolved, e.g. --allow-path '${file}')`
      : `this runner does not run ${what === 'git' ? 'from-git' : 'uploaded'} services: they live in its services directory, which its owner has not allowed; the owner can allow them with --allow-path ${SERVICES_WORD}`
  return { ok: false, code: 'PATH_NOT_ALLOWED', error }
}

/** localhost, 127.0.0.0/8 and ::1 (also written as IPv4-mapped): this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (net.isIPv4(name)) return name.startsWith('127.')
  if (!net.isIPv6(name)) return false
  if (name === '::1') return true
  const mapped = /^::ffff:(?:(127\.[\d.]+)|(7f[0-9a-f]{2}):[0-9a-f]{1,4})$/.exec(name)
  return mapped !== null
}

/**
 * The glob with its directories before the first wildcard resolved, so that a pattern naming a
 * symlinked directory (macOS's /tmp, a linked home) still matches the real paths below it.
 */
async function resolveFixedPart(glob: string): Promise<string> {
  const parts = glob.split('/')
  const wild = parts.findIndex((part) => /[*?]/.test(part))
  const fixed = wild === -1 ? parts.length : wild
  for (let end = fixed; end > 1; end--) {
    const real = await realpath(parts.slice(0, end).join('/')).catch(() => null)
    if (real !== null) return [real === '/' ? '' : real, ...parts.slice(end)].join('/')
  }
  return glob
}
