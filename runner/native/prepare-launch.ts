/**
 * Turns a ProcessSpec into exactly what to spawn, or into the reason it cannot start. Every check
 * that can fail happens here, before a process exists.
 */
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Launch } from './launch'
import { buildEnvironment, type EnvIdentity } from './minimal-env'
import type { ProcessSpec, StartFailure } from './process-spec'
import {
  SETPRIV,
  accessibleAs,
  planRunAsUser,
  resolveRunAsUser,
  setprivArgs,
  type RunAsIdentity,
} from './run-as-user'

/** Checks the spec and resolves the user, cwd and environment; nothing is started. */
export async function prepareLaunch(
  spec: ProcessSpec,
  runnerUid = process.getuid?.(),
): Promise<{ ok: true; launch: Launch } | StartFailure> {
  const { executable } = spec
  if (!(spec.timeoutMs > 0)) return refuse(`timeoutMs must be more than 0; got ${spec.timeoutMs}`)
  if (!path.isAbsolute(executable)) {
    return refuse(`executable must be an absolute path; got '${executable}'`)
  }
  const badName = Object.keys(spec.environment).find((key) => key === '' || /[=\0]/.test(key))
  if (badName !== undefined) return refuse(`invalid environment variable name: '${badName}'`)

  const file = await stat(executable).catch((error: NodeJS.ErrnoException) => error)
  if (file instanceof Error) {
    if (file.code === 'EACCES') return refuse(`permission denied: ${executable}`)
    return { ok: false, status: 'not_found', message: `executable not found: ${executable}` }
  }
  if (!file.isFile()) return refuse(`executable is not a regular file: ${executable}`)

  const cwd = spec.workingDirectory || path.dirname(executable)
  const dir = await stat(cwd).catch(() => null)
  if (!dir?.isDirectory()) {
    return refuse(`invalid working directory: working directory does not exist: ${cwd}`)
  }

  const args = spec.arguments.filter((arg) => arg.trim() !== '')
  const plan = planRunAsUser(spec.runAsUser, runnerUid)
  if (plan.kind === 'refuse') return refuse(plan.message)
  const service = spec.environment
  const inherit = spec.inheritEnvironment ?? false
  if (plan.kind === 'self') {
    // Checked here because a process tree's trampoline, not spawn, would meet the EACCES.
    if (
      !(await access(executable, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return refuse(`permission denied: ${executable}`)
    const env = buildEnvironment({ service, inherit })
    return { ok: true, launch: { command: executable, args, cwd, env } }
  }

  const resolved = await resolveRunAsUser(plan.user, plan.group)
  if (!resolved.ok) return refuse(resolved.message)
  const { identity } = resolved
  if (!(await stat(SETPRIV).catch(() => null))) {
    return refuse(`run_as_user needs util-linux setpriv at ${SETPRIV}; install util-linux`)
  }
  const denied = await firstDenied(identity, [cwd, executable])
  if (denied === cwd)
    return refuse(`working directory ${cwd} is not accessible to ${who(identity)}`)
  if (denied)
    return refuse(`permission denied: ${executable} is not executable by ${who(identity)}`)
  const runAs: EnvIdentity = {
    name: identity.name ?? String(identity.uid),
    home: identity.home ?? '/',
  }
  const env = buildEnvironment({ service, inherit, runAs })
  const command = [...setprivArgs(identity), executable, ...args]
  return { ok: true, launch: { command: SETPRIV, args: command, cwd, env } }
}

async function firstDenied(identity: RunAsIdentity, paths: string[]): Promise<string | undefined> {
  const allowed = await Promise.all(paths.map((p) => accessibleAs(identity, p)))
  return paths.find((_, i) => !allowed[i])
}

function who(identity: RunAsIdentity): string {
  return `${identity.name ?? 'uid ' + identity.uid} (uid ${identity.uid}, gid ${identity.gid})`
}

function refuse(message: string): StartFailure {
  return { ok: false, status: 'failed_to_start', message }
}
