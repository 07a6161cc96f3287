/**
 * Asking a runner to register a service's executable, shared by creating a service and updating
 * one in place: what to send (a git source's credentials split out of its URL), and what the
 * runner's answer means for the API caller (the executable it found, or an error with a code).
 */
import { HttpError } from '../http-error'
import type { FromGitBody } from './service-schemas'
import type { RegisterRequest } from './runner-directory'
import type { ServiceRecord } from './service-record'
import type { ServiceRegisteredFrame } from '../../../shared/protocol/frames'
import { withFormat } from './service-defaults'

/** Checking a local executable is quick; cloning and building may take a while. */
export const LOCAL_REGISTER_MS = 30_000
export const GIT_REGISTER_MS = 15 * 60_000

/** What a runner is asked to register: a local path, or a repository to clone and build. */
export interface RegisterWhat {
  source: 'local' | 'git'
  path: string
  git?: NonNullable<RegisterRequest['git']>
}

/** A from-git body as the runner is told it; credentials in the URL travel like the fields. */
export function gitSource(
  body: Pick<
    FromGitBody,
    'repo_url' | 'branch' | 'build_command' | 'username' | 'password' | 'executable_path'
  >,
): RegisterWhat {
  const { url, username, password } = splitCredentials(body.repo_url)
  const user = body.username ?? username
  const secret = body.password ?? password
  return {
    source: 'git',
    path: body.executable_path,
    git: {
      repo_url: url,
      ...(body.branch && { branch: body.branch }),
      ...(body.build_command && { build_command: body.build_command }),
      ...(user !== undefined && { username: user }),
      ...(secret !== undefined && { password: secret }),
    },
  }
}

/** What a successful registration changes in the service's record. */
export type Registered = Pick<
  ServiceRecord,
  'executable_path' | 'executable_sha256' | 'executable_size' | 'capabilities' | 'git_commit_hash'
>

/**
 * The runner's answer as the record's new executable, or the error the API caller gets: 403 when
 * the runner's owner refused the path, else 400 naming the field that was wrong.
 */
export function registered(
  found: ServiceRegisteredFrame,
  source: 'local' | 'git',
  capabilities: ServiceRecord['capabilities'],
): Registered | HttpError {
  if (!found.ok || !found.sha256 || !found.executable_path) {
    const error = found.error ?? 'the runner could not register the executable'
    // The runner's owner said no: not a mistake in the request, so not a 400.
    if (found.code === 'PATH_NOT_ALLOWED')
      return new HttpError(403, 'PATH_NOT_ALLOWED', error, { field: 'executable_path' })
    const field = error.startsWith('failed to clone')
      ? 'repo_url'
      : error.startsWith('build failed')
        ? 'build_command'
        : 'executable_path'
    return new HttpError(400, source === 'git' ? 'GIT_SETUP_FAILED' : 'INVALID_EXECUTABLE', error, {
      field,
    })
  }
  const format =
    found.platform && found.architecture
      ? { platform: found.platform, architecture: found.architecture }
      : undefined
  return {
    executable_path: found.executable_path,
    executable_sha256: found.sha256,
    executable_size: found.size ?? 0,
    capabilities: withFormat(capabilities, format),
    git_commit_hash: found.git_commit_hash ?? '',
  }
}

/** `https://user:pass@host/repo` → the URL without them, and them apart. */
function splitCredentials(raw: string): { url: string; username?: string; password?: string } {
  if (!/^https?:\/\//.test(raw)) return { url: raw }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { url: raw }
  }
  if (!url.username && !url.password) return { url: raw }
  const username = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  url.username = ''
  url.password = ''
  return {
    url: url.toString(),
    ...(username && { username }),
    ...(password && { password }),
  }
}
