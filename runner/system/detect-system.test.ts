import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SystemCapabilities } from '../../shared/protocol/system-capabilities'
import {
  type CommandRunner,
  detectSystem,
  goArch,
  goPlatform,
  parseCpuinfoCores,
  parseDockerVersion,
  parseMeminfo,
  parseNvidiaSmi,
  parsePythonVersion,
  refreshSystem,
  runCommand,
} from './detect-system'

const MEMINFO = `MemTotal:       16318480 kB
MemFree:         1203456 kB
MemAvailable:    8388608 kB
Buffers:          312144 kB
Cached:          6021344 kB
SwapTotal:       2097148 kB
`

/** Two hyper-threaded cores on one socket: four processors. */
const CPUINFO = [0, 1, 0, 1]
  .map(
    (core, processor) => `processor\t: ${processor}
vendor_id\t: GenuineIntel
model name\t: Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz
physical id\t: 0
siblings\t: 4
core id\t\t: ${core}
cpu cores\t: 2
`,
  )
  .join('\n')

const NVIDIA_SMI = `0, NVIDIA GeForce RTX 3080, 10240, GPU-5b1a2c3d-0000-1111-2222-333344445555, 525.60.11
1, Tesla T4, 15360, GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff, 525.60.11
`

describe('parsers', () => {
  it('reads total and available memory from /proc/meminfo in MB', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({ total: 15936, available: 8192 })
  })

  it('falls back to free memory on kernels without MemAvailable', () => {
    const old = MEMINFO.replace(/^MemAvailable.*\n/m, '')
    expect(parseMeminfo(old)).toEqual({ total: 15936, available: 1175 })
    expect(parseMeminfo('')).toBeUndefined()
  })

  it('counts physical cores, not hyper-threads, in /proc/cpuinfo', () => {
    expect(parseCpuinfoCores(CPUINFO)).toBe(2)
    const twoSockets = `${CPUINFO}\n${CPUINFO.replaceAll('physical id\t: 0', 'physical id\t: 1')}`
    expect(parseCpuinfoCores(twoSockets)).toBe(4)
  })

  it('gives no core count for cpuinfo without core ids, as on many ARM boards', () => {
    expect(parseCpuinfoCores('processor\t: 0\nBogoMIPS\t: 108.00\n\nprocessor\t: 1\n')).toBe(
      undefined,
    )
  })

  it('reads each GPU nvidia-smi lists', () => {
    expect(parseNvidiaSmi(NVIDIA_SMI)).toEqual([
      {
        index: 0,
        name: 'NVIDIA GeForce RTX 3080',
        vendor: 'nvidia',
        memory_mb: 10240,
        uuid: 'GPU-5b1a2c3d-0000-1111-2222-333344445555',
        driver_version: '525.60.11',
      },
      {
        index: 1,
        name: 'Tesla T4',
        vendor: 'nvidia',
        memory_mb: 15360,
        uuid: 'GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff',
        driver_version: '525.60.11',
      },
    ])
  })

  it('keeps a comma in a GPU name and reads unknown memory as 0', () => {
    const [gpu] = parseNvidiaSmi('0,Quadro RTX, Mobile,[N/A],GPU-1,535.1\n')
    expect(gpu).toMatchObject({ name: 'Quadro RTX, Mobile', memory_mb: 0, uuid: 'GPU-1' })
  })

  it('skips nvidia-smi lines that are not GPUs', () => {
    const text = 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.\n'
    expect(parseNvidiaSmi(text)).toEqual([])
    expect(parseNvidiaSmi('0, Tesla T4\n\n')).toEqual([])
  })

  it('reads the Docker and Python versions', () => {
    expect(parseDockerVersion('Docker version 24.0.7, build afdd53b\n')).toBe('24.0.7')
    expect(parseDockerVersion('podman version 4.3.1\n')).toBeUndefined()
    expect(parsePythonVersion('Python 3.11.0\n')).toBe('3.11.0')
    expect(parsePythonVersion('Python 3.13.0rc2\n')).toBe('3.13.0rc2')
    expect(parsePythonVersion('')).toBeUndefined()
  })

  it("maps Node's platform and architecture names to Go's", () => {
    expect(goPlatform('win32')).toBe('windows')
    expect(goPlatform('linux')).toBe('linux')
    expect(goPlatform('darwin')).toBe('darwin')
    expect(['x64', 'arm64', 'ia32', 'arm', 'riscv64'].map((arch) => goArch(arch))).toEqual([
      'amd64',
      'arm64',
      '386',
      'arm',
      'riscv64',
    ])
    expect(goArch('ppc64', 'LE')).toBe('ppc64le')
    expect(goArch('ppc64', 'BE')).toBe('ppc64')
  })
})

describe('runCommand', () => {
  it('captures what a program prints on either stream', async () => {
    const script = 'process.stdout.write("out "); process.stderr.write("Python 2.7.18")'
    const result = await runCommand(process.execPath, ['-e', script])
    expect(result).toEqual({ ok: true, stdout: 'out Python 2.7.18' })
  })

  it('resolves not ok for a missing program or a failing one', async () => {
    expect((await runCommand('zerverless-no-such-program', [])).ok).toBe(false)
    expect((await runCommand(process.execPath, ['-e', 'process.exit(3)'])).ok).toBe(false)
  })
})

describe('detectSystem', () => {
  const dirs: string[] = []
  const tempDir = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zerverless-system-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

  it('measures this machine plausibly', async () => {
    const dataDir = path.join(await tempDir(), 'data', 'runner')
    const system = SystemCapabilities.parse(await detectSystem({ dataDir }))
    expect((await stat(dataDir)).isDirectory()).toBe(true)
    expect(system.platform).toBe(goPlatform(process.platform))
    expect(system.architecture).toBe(goArch(process.arch, os.endianness()))
    expect(system.cpu_cores).toBeGreaterThanOrEqual(1)
    expect(system.cpu_cores).toBeLessThanOrEqual(system.cpu_threads)
    expect(system.total_memory_mb).toBeGreaterThan(0)
    expect(system.available_memory_mb).toBeLessThanOrEqual(system.total_memory_mb)
    expect(system.total_disk_mb).toBeGreaterThan(0)
    expect(system.available_disk_mb).toBeLessThanOrEqual(system.total_disk_mb)
  })

  it('reads GPUs, Docker and Python from command output', async () => {
    const outputs: Record<string, string> = {
      'nvidia-smi': NVIDIA_SMI,
      docker: 'Docker version 24.0.7, build afdd53b\n',
      python3: 'Python 3.11.0\n',
    }
    const run: CommandRunner = async (command) => ({ ok: true, stdout: outputs[command] ?? '' })
    const system = await detectSystem({ dataDir: await tempDir(), run })
    expect(system.gpus.map((gpu) => gpu.name)).toEqual(['NVIDIA GeForce RTX 3080', 'Tesla T4'])
    expect(system).toMatchObject({ has_docker: true, docker_version: '24.0.7' })
    expect(system).toMatchObject({ has_python: true, python_version: '3.11.0' })
  })

  it('tries python when python3 is missing', async () => {
    const run: CommandRunner = async (command) =>
      command === 'python' ? { ok: true, stdout: 'Python 2.7.18\n' } : { ok: false, stdout: '' }
    const system = await detectSystem({ dataDir: await tempDir(), run })
    expect(system).toMatchObject({ has_python: true, python_version: '2.7.18' })
  })

  it('reports no GPUs, Docker or Python when their commands fail', async () => {
    const run: CommandRunner = async () => ({ ok: false, stdout: 'command not found' })
    const system = await detectSystem({ dataDir: await tempDir(), run })
    expect(system).toMatchObject({ gpus: [], has_docker: false, has_python: false })
    expect(system.docker_version).toBeUndefined()
    expect(system.python_version).toBeUndefined()
  })

  it('measures the nearest existing parent when the data directory cannot be created', async () => {
    const blocked = path.join(await tempDir(), 'file')
    await writeFile(blocked, '')
    const run: CommandRunner = async () => ({ ok: false, stdout: '' })
    const system = await detectSystem({ dataDir: path.join(blocked, 'data'), run })
    expect(system.total_disk_mb).toBeGreaterThan(0)
  })

  it('refreshes free memory and disk, keeping everything else', async () => {
    const dataDir = await tempDir()
    const run: CommandRunner = async () => ({ ok: false, stdout: '' })
    const stale = { ...(await detectSystem({ dataDir, run })), available_memory_mb: 0 }
    const fresh = await refreshSystem({ ...stale, available_disk_mb: 0 }, { dataDir })
    expect(fresh.available_memory_mb).toBeGreaterThan(0)
    expect(fresh.available_disk_mb).toBeGreaterThan(0)
    expect({ ...fresh, available_memory_mb: 0, available_disk_mb: 0 }).toEqual({
      ...stale,
      available_disk_mb: 0,
    })
  })
})
