/**
 * The environment a native process starts with. By default it is a small, fixed base rather than
 * the runner's own process.env, which may hold tokens and keys the service has no business seeing.
 */
import os from 'node:os'

/** PATH for processes that bring none: the usual system directories, nothing user-writable. */
export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Who the process runs as, for HOME, USER and LOGNAME. */
export interface EnvIdentity {
  name: string
  home: string
}

export interface EnvironmentOptions {
  /** The service's variables; they win over everything else. */
  service: Record<string, string>
  /** Start from `runnerEnv` instead of the minimal base. */
  inherit: boolean
  /** Set when the process runs as another user; otherwise the runner's own user. */
  runAs?: EnvIdentity
  runnerEnv?: NodeJS.ProcessEnv
}

/**
 * Builds the child's environment: a minimal base (PATH, HOME, USER, LOGNAME, TMPDIR) or the
 * runner's env, then the run-as user's identity, then the service variables. LANG and LC_ALL
 * default to C.UTF-8 when neither ends up set.
 */
export function buildEnvironment(options: EnvironmentOptions): Record<string, string> {
  const { service, inherit, runAs, runnerEnv = process.env } = options
  const env = inherit ? definedEntries(runnerEnv) : minimalBase(runAs ?? runnerIdentity())
  if (runAs) {
    // The runner's TMPDIR may be private to it; /tmp is writable by every user.
    Object.assign(env, { HOME: runAs.home, USER: runAs.name, LOGNAME: runAs.name, TMPDIR: '/tmp' })
  }
  Object.assign(env, service)
  if (env.LANG === undefined && env.LC_ALL === undefined) {
    env.LANG = 'C.UTF-8'
    env.LC_ALL = 'C.UTF-8'
  }
  return env
}

function minimalBase(who: EnvIdentity): Record<string, string> {
  return { PATH: SAFE_PATH, HOME: who.home, USER: who.name, LOGNAME: who.name, TMPDIR: os.tmpdir() }
}

function runnerIdentity(): EnvIdentity {
  const info = os.userInfo()
  return { name: info.username, home: info.homedir }
}

function definedEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value
  return out
}
