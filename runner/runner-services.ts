/**
 * The runner's side of registering services: check a local executable, or clone and build a
 * repository, then remember the executable and its sha256 (see service-registry.ts). Nothing is
 * checked, cloned or built unless the owner's --allow-path covers it (see path-policy.ts).
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { ServiceHandler } from '../shared/agent/agent-ports'
import type { ServiceRegisterFrame } from '../shared/protocol/frames'
import { checkExecutable } from './executable-check'
import { cloneAndBuild } from './git-build'
import type { Containment } from './native/process-tree'
import { checkAllowed, notAllowed, type PathPolicy } from './path-policy'
import { serviceDir } from './runner-paths'
import type { ServiceRegistry } from './service-registry'

export function runnerServices(options: {
  dataDir: string
  registry: ServiceRegistry
  native: boolean
  policy: PathPolicy
  containment: Containment | undefined
  log: (line: string) => void
}): ServiceHandler {
  const { dataDir, registry, policy, log } = options
  return {
    async register(frame: ServiceRegisterFrame) {
      if (!options.native)
        return { ok: false, error: 'this runner does not run native executables (--no-native)' }
      let executable = frame.executable_path
      let checkout: string | undefined
      let commit: string | undefined
      if (frame.source === 'git') {
        if (!frame.git) return { ok: false, error: 'a git service needs its repository' }
        const dir = serviceDir(dataDir, frame.service_name)
        checkout = path.join(dir, 'repo')
        // Building runs the request's command, so the owner must allow the directory first.
        const target = path.join(checkout, ...frame.executable_path.split('/'))
        if (!(await checkAllowed(policy, target)).allowed) {
          log(`service ${frame.service_name}: refused, --allow-path does not allow ${dir}`)
          return notAllowed(target, 'git')
        }
        log(`service ${frame.service_name}: cloning ${redactUrl(frame.git.repo_url)}`)
        const built = await cloneAndBuild(frame.git, checkout, path.join(dir, 'build'), {
          ...(options.containment && { containment: options.containment }),
        })
        if (!built.ok) {
          await rm(dir, { recursive: true, force: true })
          return { ok: false, error: built.error }
        }
        commit = built.commit
        executable = path.join(checkout, ...frame.executable_path.split('/'))
        if (!executable.startsWith(checkout + path.sep))
          return { ok: false, error: 'the executable path leaves the repository' }
      } else if (!path.isAbsolute(executable)) {
        return { ok: false, error: `invalid executable: the path must be absolute: ${executable}` }
      }
      // Before anything else, so a refusal says nothing about whether the file exists.
      const { allowed, real } = await checkAllowed(policy, executable)
      if (!allowed) {
        log(
          `service ${frame.service_name}: refused ${executable}${real === executable ? '' : ` (really ${real})`}: not allowed by ${policy.origin}; allow it with --allow-path '${real}'`,
        )
        if (checkout) await rm(path.dirname(checkout), { recursive: true, force: true })
        return notAllowed(executable, 'path')
      }
      const checked = await checkExecutable(executable)
      if (!checked.ok) {
        if (checkout) await rm(path.dirname(checkout), { recursive: true, force: true })
        return { ok: false, error: checked.error }
      }
      await registry.put({
        service_id: frame.service_id,
        service_name: frame.service_name,
        source: frame.source,
        executable_path: checked.path,
        sha256: checked.sha256,
        ...(checkout && { checkout }),
      })
      log(`service ${frame.service_name} (#${frame.service_id}) registered: ${checked.path}`)
      return {
        ok: true,
        executable_path: checked.path,
        sha256: checked.sha256,
        size: checked.size,
        ...(checked.format && checked.format),
        ...(commit && { git_commit_hash: commit }),
      }
    },
    forget(serviceId, serviceName) {
      void (async () => {
        const removed = await registry.remove(serviceId)
        // Clones and cached uploads live in the service's directory; local executables are the owner's.
        if (removed?.source === 'git' || !removed)
          await rm(serviceDir(dataDir, serviceName), { recursive: true, force: true })
        log(`service ${serviceName} (#${serviceId}) forgotten`)
      })()
    },
  }
}

function redactUrl(url: string): string {
  return url.replace(/(\/\/)[^/@\s]+@/, '$1***@')
}
