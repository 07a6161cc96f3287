import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  EXECUTABLE_HEAD_BYTES,
  ServiceRequirements,
  SystemCapabilities,
  canExecute,
  detectExecutableFormat,
  type Gpu,
} from './system-capabilities'

const rtx = (memory_mb: number): Gpu => ({ index: 0, name: 'RTX', vendor: 'nvidia', memory_mb })

const peer: SystemCapabilities = {
  platform: 'linux',
  architecture: 'amd64',
  kernel_version: '5.15.0',
  cpu_model: 'Intel Core i7',
  cpu_cores: 8,
  cpu_threads: 16,
  total_memory_mb: 16384,
  available_memory_mb: 8192,
  total_disk_mb: 512000,
  available_disk_mb: 256000,
  gpus: [rtx(10240), { ...rtx(24576), index: 1 }],
  has_docker: true,
  docker_version: '24.0.7',
  has_python: true,
  python_version: '3.11.0',
}

const reasonFor = (req: ServiceRequirements, system = peer) => {
  const verdict = canExecute(system, req)
  return verdict.ok ? undefined : verdict.reason
}

describe('canExecute', () => {
  it('accepts a service that requires nothing, including an empty platform', () => {
    expect(canExecute(peer, {})).toEqual({ ok: true })
    expect(canExecute(peer, { platform: '', architectures: [] })).toEqual({ ok: true })
  })

  it('accepts every requirement the peer meets exactly', () => {
    const req = {
      platform: 'linux',
      architectures: ['arm64', 'amd64'],
      min_memory_mb: 8192,
      min_cpu_cores: 8,
      min_disk_mb: 256000,
      requires_gpu: true,
      gpu_vendor: 'nvidia',
      min_gpu_memory_mb: 24576,
    }
    expect(canExecute(peer, req)).toEqual({ ok: true })
  })

  it("treats 'any' as matching every platform and architecture", () => {
    expect(canExecute(peer, { platform: 'any', architectures: ['arm64', 'any'] })).toEqual({
      ok: true,
    })
  })

  it('rejects another platform', () => {
    expect(reasonFor({ platform: 'windows' })).toBe(
      'incompatible platform: service requires windows, peer has linux',
    )
  })

  it('rejects an architecture not in the list', () => {
    expect(reasonFor({ architectures: ['arm64', 'arm'] })).toBe(
      'incompatible architecture: service requires one of [arm64, arm], peer has amd64',
    )
  })

  it('rejects when available memory, CPU cores or disk space fall short', () => {
    expect(reasonFor({ min_memory_mb: 8193 })).toBe(
      'insufficient memory: service requires 8193 MB, peer has 8192 MB available',
    )
    expect(reasonFor({ min_cpu_cores: 9 })).toBe(
      'insufficient CPU cores: service requires 9, peer has 8',
    )
    expect(reasonFor({ min_disk_mb: 300000 })).toBe(
      'insufficient disk space: service requires 300000 MB, peer has 256000 MB available',
    )
  })

  it('reports the first failing check, platform before resources before GPU', () => {
    const req = { platform: 'darwin', min_memory_mb: 1 << 30, requires_gpu: true }
    expect(reasonFor(req)).toMatch(/^incompatible platform/)
    expect(reasonFor({ ...req, platform: 'linux' })).toMatch(/^insufficient memory/)
  })

  it('rejects a GPU service on a peer without GPUs', () => {
    expect(reasonFor({ requires_gpu: true }, { ...peer, gpus: [] })).toBe(
      'service requires GPU, but peer has no GPUs',
    )
  })

  it('rejects a GPU vendor the peer lacks, listing each vendor it has once', () => {
    expect(reasonFor({ requires_gpu: true, gpu_vendor: 'amd' })).toBe(
      'incompatible GPU vendor: service requires amd, peer has nvidia',
    )
    expect(canExecute(peer, { requires_gpu: true, gpu_vendor: 'any' })).toEqual({ ok: true })
  })

  it('needs the GPU memory on one GPU, not summed across GPUs', () => {
    expect(reasonFor({ requires_gpu: true, min_gpu_memory_mb: 30000 })).toBe(
      "insufficient GPU memory: service requires 30000 MB, peer's largest GPU has 24576 MB",
    )
  })

  it('only counts GPUs of the required vendor towards GPU memory', () => {
    const system = {
      ...peer,
      gpus: [rtx(4096), { ...rtx(49152), index: 1, vendor: 'amd' as const }],
    }
    expect(
      reasonFor({ requires_gpu: true, gpu_vendor: 'nvidia', min_gpu_memory_mb: 8192 }, system),
    ).toBe("insufficient GPU memory: service requires 8192 MB, peer's largest GPU has 4096 MB")
  })

  it('ignores GPU vendor and memory when the service does not require a GPU', () => {
    const req = { requires_gpu: false, gpu_vendor: 'nvidia', min_gpu_memory_mb: 4096 }
    expect(canExecute({ ...peer, gpus: [] }, req)).toEqual({ ok: true })
  })
})

describe('capability schemas', () => {
  it('accept the seed example', () => {
    expect(SystemCapabilities.parse(peer)).toEqual(peer)
  })

  it('reject unknown fields from a peer', () => {
    expect(SystemCapabilities.safeParse({ ...peer, wallets: [] }).success).toBe(false)
    expect(ServiceRequirements.safeParse({ executable_path: '/bin/sh' }).success).toBe(false)
    const gpus = [{ ...rtx(1), bus: 'pci' }]
    expect(SystemCapabilities.safeParse({ ...peer, gpus }).success).toBe(false)
  })

  it('reject oversized strings and lists', () => {
    expect(SystemCapabilities.safeParse({ ...peer, cpu_model: 'x'.repeat(257) }).success).toBe(
      false,
    )
    expect(SystemCapabilities.safeParse({ ...peer, platform: 'x'.repeat(33) }).success).toBe(false)
    const gpus = Array.from({ length: 65 }, (_, index) => ({ ...rtx(1), index }))
    expect(SystemCapabilities.safeParse({ ...peer, gpus }).success).toBe(false)
    const architectures = Array.from({ length: 17 }, () => 'amd64')
    expect(ServiceRequirements.safeParse({ architectures }).success).toBe(false)
  })

  it('reject negative or fractional amounts', () => {
    expect(SystemCapabilities.safeParse({ ...peer, available_memory_mb: -1 }).success).toBe(false)
    expect(ServiceRequirements.safeParse({ min_cpu_cores: 1.5 }).success).toBe(false)
  })
})

/** A zeroed header of `size` bytes with `fields` written at their offsets. */
function header(size: number, fields: [offset: number, bytes: number[]][]): Uint8Array {
  const head = new Uint8Array(size)
  for (const [offset, bytes] of fields) head.set(bytes, offset)
  return head
}

const ELF = [0x7f, 0x45, 0x4c, 0x46]
const elf = (machine: number[], data = 1, osabi = 0) =>
  header(64, [
    [0, [...ELF, 2, data, 1, osabi]],
    [18, machine],
  ])
const machO = (magic: number[], cputype: number[]) =>
  header(32, [
    [0, magic],
    [4, cputype],
  ])
const pe = (offset: number, machine: number[], size = 512) =>
  header(size, [
    [0, [0x4d, 0x5a]],
    [0x3c, [offset & 0xff, offset >> 8, 0, 0]],
    [offset, [0x50, 0x45, 0, 0, ...machine]],
  ])

describe('detectExecutableFormat', () => {
  it('reads the architecture of ELF files in either byte order', () => {
    expect(detectExecutableFormat(elf([62, 0]))).toEqual({
      platform: 'linux',
      architecture: 'amd64',
    })
    expect(detectExecutableFormat(elf([3, 0]))?.architecture).toBe('386')
    expect(detectExecutableFormat(elf([183, 0]))?.architecture).toBe('arm64')
    expect(detectExecutableFormat(elf([40, 0]))?.architecture).toBe('arm')
    expect(detectExecutableFormat(elf([0, 40], 2))?.architecture).toBe('arm')
    expect(detectExecutableFormat(elf([243, 0]))?.architecture).toBe('unknown')
  })

  it('tells FreeBSD ELF files from Linux ones', () => {
    expect(detectExecutableFormat(elf([62, 0], 1, 9))?.platform).toBe('freebsd')
    expect(detectExecutableFormat(elf([62, 0], 1, 3))?.platform).toBe('linux')
  })

  it('reads Mach-O files in either byte order', () => {
    const darwin = (architecture: string) => ({ platform: 'darwin', architecture })
    const detect = detectExecutableFormat
    expect(detect(machO([0xcf, 0xfa, 0xed, 0xfe], [7, 0, 0, 1]))).toEqual(darwin('amd64'))
    expect(detect(machO([0xcf, 0xfa, 0xed, 0xfe], [12, 0, 0, 1]))).toEqual(darwin('arm64'))
    expect(detect(machO([0xce, 0xfa, 0xed, 0xfe], [7, 0, 0, 0]))).toEqual(darwin('386'))
    expect(detect(machO([0xfe, 0xed, 0xfa, 0xce], [0, 0, 0, 12]))).toEqual(darwin('arm'))
    expect(detect(machO([0xfe, 0xed, 0xfa, 0xcf], [1, 0, 0, 7]))).toEqual(darwin('amd64'))
  })

  it('treats a universal Mach-O binary as any architecture, but not a Java class file', () => {
    const fat = machO([0xca, 0xfe, 0xba, 0xbe], [0, 0, 0, 2])
    expect(detectExecutableFormat(fat)).toEqual({ platform: 'darwin', architecture: 'any' })
    const javaClass = machO([0xca, 0xfe, 0xba, 0xbe], [0, 0, 0, 0x34])
    expect(detectExecutableFormat(javaClass)).toBeUndefined()
  })

  it('reads the machine of PE files from the header that 0x3c points to', () => {
    const windows = (architecture: string) => ({ platform: 'windows', architecture })
    expect(detectExecutableFormat(pe(0x80, [0x64, 0x86]))).toEqual(windows('amd64'))
    expect(detectExecutableFormat(pe(0xf0, [0x4c, 0x01]))).toEqual(windows('386'))
    expect(detectExecutableFormat(pe(0x100, [0x64, 0xaa]))).toEqual(windows('arm64'))
    expect(detectExecutableFormat(pe(0x40, [0xc4, 0x01]))).toEqual(windows('arm'))
    expect(detectExecutableFormat(pe(0x40, [0xc0, 0x01]))).toEqual(windows('arm'))
  })

  it('says any architecture when the PE header lies beyond the bytes given', () => {
    const head = pe(0x100, [0x64, 0x86]).subarray(0, 256)
    expect(detectExecutableFormat(head)).toEqual({ platform: 'windows', architecture: 'any' })
  })

  it('does not mistake a DOS program for a PE file', () => {
    const dos = header(256, [
      [0, [0x4d, 0x5a]],
      [0x3c, [0x80]],
    ])
    expect(detectExecutableFormat(dos)).toBeUndefined()
  })

  it('runs a #! script anywhere', () => {
    const script = new TextEncoder().encode('#!/usr/bin/env python3\nprint("hi")\n')
    expect(detectExecutableFormat(script)).toEqual({ platform: 'any', architecture: 'any' })
  })

  it('returns undefined for text, random bytes and empty input', () => {
    expect(detectExecutableFormat(new TextEncoder().encode('hello world'))).toBeUndefined()
    expect(detectExecutableFormat(seededBytes(1, 4096))).toBeUndefined()
    expect(detectExecutableFormat(new Uint8Array(0))).toBeUndefined()
  })

  it('never throws on truncated headers or garbage', () => {
    const samples = [elf([62, 0]), pe(0x100, [0x64, 0x86]), machO([0xcf, 0xfa, 0xed, 0xfe], [7])]
    for (const sample of samples) {
      for (let n = 0; n <= sample.length; n++) {
        expect(() => detectExecutableFormat(sample.subarray(n))).not.toThrow()
        expect(() => detectExecutableFormat(sample.subarray(0, n))).not.toThrow()
      }
    }
    for (let seed = 1; seed < 500; seed++) {
      const head = seededBytes(seed, seed % 300)
      head.set([0x4d, 0x5a].slice(0, head.length))
      expect(() => detectExecutableFormat(head)).not.toThrow()
    }
  })

  it('reads a view into a larger buffer from its own offset', () => {
    const buffer = new Uint8Array(128)
    buffer.set(elf([183, 0]), 64)
    expect(detectExecutableFormat(buffer.subarray(64))?.architecture).toBe('arm64')
  })
})

describe('detectExecutableFormat on real files', () => {
  const readHead = (path: string) => readFileSync(path).subarray(0, EXECUTABLE_HEAD_BYTES)
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' }
  const goPlatform: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows' }

  it('recognises the running node binary as built for this machine', () => {
    expect(detectExecutableFormat(readHead(process.execPath))).toEqual({
      platform: goPlatform[process.platform],
      architecture: goArch[process.arch],
    })
  })

  it.skipIf(process.platform !== 'linux')('recognises /bin/sh as a Linux executable', () => {
    expect(detectExecutableFormat(readHead('/bin/sh'))).toEqual({
      platform: 'linux',
      architecture: goArch[process.arch],
    })
  })

  it('recognises the vitest launcher as a script', () => {
    const launcher = readHead('node_modules/vitest/vitest.mjs')
    expect(detectExecutableFormat(launcher)).toEqual({ platform: 'any', architecture: 'any' })
  })

  // Windows launchers that pip vendors, where a Python install has them (this dev machine does).
  const distlib = '/root/.pyenv/versions/3.13.0/lib/python3.13/site-packages/pip/_vendor/distlib'
  it.skipIf(!existsSync(distlib))(
    'recognises Windows executables, PE header past 256 bytes too',
    () => {
      expect(detectExecutableFormat(readHead(`${distlib}/w32.exe`))?.architecture).toBe('386')
      expect(detectExecutableFormat(readHead(`${distlib}/w64.exe`))?.architecture).toBe('amd64')
      expect(detectExecutableFormat(readHead(`${distlib}/w64-arm.exe`))).toEqual({
        platform: 'windows',
        architecture: 'arm64',
      })
    },
  )
})

/** Deterministic noise (xorshift32), so a test never fails on an unlucky draw. */
function seededBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}
