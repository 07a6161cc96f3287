/**
 * Where a runner keeps things: a per-user data folder by default (as the original did), with the
 * seed's layout inside: standalone_services/{service_name}/ and
 * workflows/{orchestrator}/{job}/jobs/{peer}/{execution}/{input,output,mounts}/.
 */
import os from 'node:os'
import path from 'node:path'

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir()
  if (process.platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'zerverless-runner')
  if (process.platform === 'darwin')
    return path.join(home, 'Library', 'Application Support', 'zerverless-runner')
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'zerverless-runner')
}

/** A name safe as one directory level: anything else becomes "_". */
function segment(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')
  return clean.slice(0, 128) || '_'
}

/** Where uploaded services are fetched to and from-git ones cloned and built. */
export function servicesRoot(dataDir: string): string {
  return path.join(dataDir, 'standalone_services')
}

export function serviceDir(dataDir: string, serviceName: string): string {
  return path.join(servicesRoot(dataDir), segment(serviceName))
}

export interface JobDirs {
  root: string
  input: string
  output: string
  mounts: string
}

/**
 * A job's directories: `workflows/{orchestrator}/{workflow}/jobs/{peer}/{execution}`, where a
 * workflow's job has its run as `workflow` and its job id as `execution` (the seed's layout), and
 * a plain run has its job id as `workflow` and `{job}-{attempt}` as `execution`.
 */
export function jobDirs(
  dataDir: string,
  ids: { orchestrator: string; workflow: string; peerId: string; execution: string },
): JobDirs {
  const root = path.join(
    dataDir,
    'workflows',
    segment(ids.orchestrator),
    segment(ids.workflow),
    'jobs',
    segment(ids.peerId),
    segment(ids.execution),
  )
  return {
    root,
    input: path.join(root, 'input'),
    output: path.join(root, 'output'),
    mounts: path.join(root, 'mounts'),
  }
}

/** `/data/input` → `{mounts}/data/input`, refusing anything that would leave `mounts`. */
export function mountDir(mounts: string, mountPath: string): string {
  const parts = mountPath.split('/').filter((p) => p !== '')
  if (parts.some((p) => p === '.' || p === '..' || p.includes('\\') || p.includes('\0')))
    throw new Error(`invalid mount path '${mountPath}'`)
  const dir = path.join(mounts, ...parts)
  if (dir !== mounts && !dir.startsWith(mounts + path.sep))
    throw new Error(`invalid mount path '${mountPath}'`)
  return dir
}
