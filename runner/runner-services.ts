/**
 * The runner's side of registering services: check a local executable, or clone and build a
 * repository, then remember the executable and its sha256 (see service-registry.ts).
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { ServiceHandler } from '../shared/agent/volunteer-agent'
import type { ServiceRegisterFrame } from '../shared/protocol'
import { checkExecutable } from './executable-check'
import { cloneAndBuild } from './git-build'
import { serviceDir } from './runner-paths'
import type { ServiceRegistry } from './service-registry'

export function runnerServices(options: {
  dataDir: string
  registry: ServiceRegistry
  native: boolean
  log: (line: string) => void
}): ServiceHandler {
  const { dataDir, registry, log } = options
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
        log(`service ${frame.service_name}: cloning ${redactUrl(frame.git.repo_url)}`)
        const built = await cloneAndBuild(frame.git, checkout, path.join(dir, 'build'))
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
