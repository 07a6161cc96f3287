/** Measures this machine so the runner can publish what it offers to the orchestrator. */
import { execFile } from 'node:child_process'
import { mkdir, readFile, statfs } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Gpu, SystemCapabilities } from '../../shared/protocol/system-capabilities'

/** Runs a program without a shell; resolves `ok: false` (never rejects) when it fails or is missing. */
export type CommandRunner = (command: string, args: string[]) => Promise<CommandResult>
type CommandResult = { ok: boolean; stdout: string }

export interface DetectSystemOptions {
  /** Where the runner keeps its data; disk space is measured there (created if missing). */
  dataDir: string
  /** Replaces the real command runner, e.g. in tests. */
  run?: CommandRunner
}

const MB = 1024 * 1024

/**
 * The default `CommandRunner`: `execFile` with a 5 s timeout. Its `stdout` is stdout and stderr
 * together, because some programs print their version to stderr (Python 2 among them).
 */
export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    const options = { timeout: 5000, windowsHide: true, maxBuffer: MB }
    execFile(command, args, options, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout: `${stdout}${stderr}` })
    })
  })

/** Everything this machine offers: platform, CPU, memory, disk, GPUs, Docker and Python. */
export async function detectSystem(options: DetectSystemOptions): Promise<SystemCapabilities> {
  const run = options.run ?? runCommand
  const [cores, memory, disk, gpus, docker, python] = await Promise.all([
    physicalCores(),
    memoryMb(),
    diskMb(options.dataDir),
    run('nvidia-smi', NVIDIA_SMI_ARGS).then((r) => (r.ok ? parseNvidiaSmi(r.stdout) : [])),
    run('docker', ['--version']),
    pythonVersion(run),
  ])
  return {
    platform: goPlatform(process.platform),
    architecture: goArch(process.arch, os.endianness()),
    kernel_version: os.release().slice(0, 256),
    cpu_model: os.cpus()[0]?.model.trim().slice(0, 256) || 'unknown',
    cpu_cores: cores,
    cpu_threads: os.availableParallelism(),
    total_memory_mb: memory.total,
    available_memory_mb: memory.available,
    total_disk_mb: disk.total,
    available_disk_mb: disk.available,
    gpus,
    // A docker-compatible CLI (podman's shim) still counts, even when its version reads differently.
    has_docker: docker.ok,
    docker_version: docker.ok ? parseDockerVersion(docker.stdout) : undefined,
    has_python: python !== undefined,
    python_version: python,
  }
}

/** `previous` with free memory and disk measured again; cheap enough to call often. */
export async function refreshSystem(
  previous: SystemCapabilities,
  options: Pick<DetectSystemOptions, 'dataDir'>,
): Promise<SystemCapabilities> {
  const [memory, disk] = await Promise.all([memoryMb(), diskMb(options.dataDir)])
  return { ...previous, available_memory_mb: memory.available, available_disk_mb: disk.available }
}

/** Node's `process.platform` as Go's GOOS, which the requirements are written in. */
export function goPlatform(platform: string): string {
  const names: Record<string, string> = { win32: 'windows', sunos: 'solaris' }
  return names[platform] ?? platform
}

/** Node's `process.arch` as Go's GOARCH; Node says 'ppc64' for both byte orders, Go does not. */
export function goArch(arch: string, endianness: 'BE' | 'LE' = 'LE'): string {
  if (arch === 'ppc64' && endianness === 'LE') return 'ppc64le'
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', mipsel: 'mipsle' }
  return names[arch] ?? arch
}

async function physicalCores(): Promise<number> {
  const threads = os.availableParallelism()
  if (process.platform !== 'linux') return threads
  const cores = parseCpuinfoCores(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''))
  // /proc/cpuinfo lists the whole host, even when this process may only use some of its CPUs.
  return cores === undefined ? threads : Math.min(cores, threads)
}

async function memoryMb(): Promise<{ total: number; available: number }> {
  const meminfo =
    process.platform === 'linux'
      ? parseMeminfo(await readFile('/proc/meminfo', 'utf8').catch(() => ''))
      : undefined
  const total = meminfo?.total ?? Math.floor(os.totalmem() / MB)
  const available = meminfo?.available ?? Math.floor(os.freemem() / MB)
  // A container's memory limit (cgroups) caps what the host reports; unlimited reads as huge.
  const limit = Math.floor(process.constrainedMemory() / MB) || Infinity
  return { total: Math.min(total, limit), available: Math.min(available, total, limit) }
}

async function diskMb(dataDir: string): Promise<{ total: number; available: number }> {
  await mkdir(dataDir, { recursive: true }).catch(() => undefined)
  // Fall back to the nearest existing parent when dataDir cannot be created or read.
  for (let dir = path.resolve(dataDir); ; dir = path.dirname(dir)) {
    const stats = await statfs(dir).catch(() => undefined)
    if (stats) {
      const total = Math.floor((stats.blocks * stats.bsize) / MB)
      return { total, available: Math.floor((stats.bavail * stats.bsize) / MB) }
    }
    if (path.dirname(dir) === dir) return { total: 0, available: 0 }
  }
}

async function pythonVersion(run: CommandRunner): Promise<string | undefined> {
  for (const python of ['python3', 'python']) {
    const result = await run(python, ['--version'])
    const version = result.ok ? parsePythonVersion(result.stdout) : undefined
    if (version) return version
  }
  return undefined
}

const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,uuid,driver_version',
  '--format=csv,noheader,nounits',
]

/** Total and available memory in MB from Linux's /proc/meminfo (values there are kB). */
export function parseMeminfo(text: string): { total: number; available: number } | undefined {
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text)
    return match ? Math.floor(Number(match[1]) / 1024) : undefined
  }
  const total = kb('MemTotal')
  // Kernels before 3.14 have no MemAvailable; free memory is the closest lower bound.
  const available = kb('MemAvailable') ?? kb('MemFree')
  return total === undefined || available === undefined ? undefined : { total, available }
}

/** Physical cores in /proc/cpuinfo: distinct (physical id, core id) pairs; undefined if unlisted. */
export function parseCpuinfoCores(text: string): number | undefined {
  const cores = new Set<string>()
  for (const block of text.split(/\n\s*\n/)) {
    const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1]
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1]
    if (socket !== undefined && core !== undefined) cores.add(`${socket}:${core}`)
  }
  return cores.size > 0 ? cores.size : undefined
}

/**
 * GPUs from `nvidia-smi --query-gpu=index,name,memory.total,uuid,driver_version
 * --format=csv,noheader,nounits`, one per line. Fields are counted from both ends, so a comma in
 * a GPU's name cannot shift the others; lines that don't fit are skipped.
 */
export function parseNvidiaSmi(text: string): Gpu[] {
  const gpus: Gpu[] = []
  for (const line of text.split('\n')) {
    const [index = '', ...name] = line.split(',').map((field) => field.trim())
    const [memory = '', uuid = '', driver = ''] = name.splice(-3)
    if (name.length === 0 || !/^\d+$/.test(index)) continue
    gpus.push({
      index: Number(index),
      name: name.join(', ').slice(0, 256),
      vendor: 'nvidia',
      memory_mb: /^\d+$/.test(memory) ? Number(memory) : 0, // '[N/A]' on some boards
      uuid: uuid.slice(0, 256) || undefined,
      driver_version: driver.slice(0, 256) || undefined,
    })
  }
  return gpus.slice(0, 64)
}

/** '24.0.7' from 'Docker version 24.0.7, build afdd53b'. */
export function parseDockerVersion(text: string): string | undefined {
  return /Docker version ([^\s,]+)/.exec(text)?.[1]
}

/** '3.11.0' from 'Python 3.11.0'. */
export function parsePythonVersion(text: string): string | undefined {
  return /Python (\d+\.\d+\S*)/.exec(text)?.[1]
}
