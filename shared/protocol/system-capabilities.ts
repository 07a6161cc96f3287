/** What a runner's machine offers, what a standalone service needs, and whether the two fit. */
import { z } from 'zod'

// Every string arrives from an untrusted peer, so each one is bounded.
const Name = z.string().max(32)
const Text = z.string().max(256)
const Count = z.int().min(0)

export const Gpu = z.strictObject({
  index: Count,
  name: Text,
  vendor: z.enum(['nvidia', 'amd', 'intel', 'apple', 'unknown']),
  memory_mb: Count,
  uuid: Text.optional(),
  driver_version: Text.optional(),
})
export type Gpu = z.infer<typeof Gpu>

/** A runner's machine as it publishes it; fields and their order follow the seed documentation. */
export const SystemCapabilities = z.strictObject({
  /** Go's GOOS names: 'linux', 'darwin', 'windows', 'freebsd', … */
  platform: Name.min(1),
  /** Go's GOARCH names: 'amd64', 'arm64', '386', 'arm', … */
  architecture: Name.min(1),
  kernel_version: Text,
  cpu_model: Text,
  /** Physical cores; `cpu_threads` counts logical processors. */
  cpu_cores: z.int().min(1),
  cpu_threads: z.int().min(1),
  total_memory_mb: Count,
  available_memory_mb: Count,
  total_disk_mb: Count,
  /** Free space where the runner keeps its data, which is where services run. */
  available_disk_mb: Count,
  gpus: z.array(Gpu).max(64),
  has_docker: z.boolean(),
  docker_version: Text.optional(),
  has_python: z.boolean(),
  python_version: Text.optional(),
})
export type SystemCapabilities = z.infer<typeof SystemCapabilities>

/** What a standalone service needs from a runner; every field is optional and absent means "any". */
export const ServiceRequirements = z.strictObject({
  /** 'linux', 'darwin', 'windows' or 'any'; empty also means any. */
  platform: Name.optional(),
  /** Any one of these will do, e.g. ['amd64', 'arm64']; 'any' matches every architecture. */
  architectures: z.array(Name).max(16).optional(),
  min_memory_mb: Count.optional(),
  min_cpu_cores: Count.optional(),
  min_disk_mb: Count.optional(),
  requires_gpu: z.boolean().optional(),
  /** 'nvidia', 'amd', 'intel' or 'any'; only checked when `requires_gpu` is set. */
  gpu_vendor: Name.optional(),
  /** Needed on a single GPU (memory is not summed); only checked when `requires_gpu` is set. */
  min_gpu_memory_mb: Count.optional(),
})
export type ServiceRequirements = z.infer<typeof ServiceRequirements>

export type ExecuteVerdict = { ok: true } | { ok: false; reason: string }

/**
 * Whether a runner with `system` may run a service with `req`, and if not, the first reason why
 * (platform, architecture, memory, CPU, disk, then GPU, in that order).
 */
export function canExecute(system: SystemCapabilities, req: ServiceRequirements): ExecuteVerdict {
  const reason =
    platformMismatch(system, req) ?? resourceShortfall(system, req) ?? gpuMismatch(system, req)
  return reason === undefined ? { ok: true } : { ok: false, reason }
}

function platformMismatch(system: SystemCapabilities, req: ServiceRequirements) {
  if (req.platform && req.platform !== 'any' && req.platform !== system.platform) {
    return `incompatible platform: service requires ${req.platform}, peer has ${system.platform}`
  }
  const archs = req.architectures ?? []
  if (archs.length > 0 && !archs.some((a) => a === 'any' || a === system.architecture)) {
    return `incompatible architecture: service requires one of [${archs.join(', ')}], peer has ${system.architecture}`
  }
  return undefined
}

function resourceShortfall(system: SystemCapabilities, req: ServiceRequirements) {
  const { min_memory_mb: memory, min_cpu_cores: cores, min_disk_mb: disk } = req
  if (memory !== undefined && memory > system.available_memory_mb) {
    return `insufficient memory: service requires ${memory} MB, peer has ${system.available_memory_mb} MB available`
  }
  if (cores !== undefined && cores > system.cpu_cores) {
    return `insufficient CPU cores: service requires ${cores}, peer has ${system.cpu_cores}`
  }
  if (disk !== undefined && disk > system.available_disk_mb) {
    return `insufficient disk space: service requires ${disk} MB, peer has ${system.available_disk_mb} MB available`
  }
  return undefined
}

function gpuMismatch(system: SystemCapabilities, req: ServiceRequirements) {
  if (!req.requires_gpu) return undefined
  if (system.gpus.length === 0) return 'service requires GPU, but peer has no GPUs'
  const vendor = req.gpu_vendor
  const usable =
    vendor && vendor !== 'any' ? system.gpus.filter((g) => g.vendor === vendor) : system.gpus
  if (usable.length === 0) {
    const vendors = [...new Set(system.gpus.map((g) => g.vendor))].join(', ')
    return `incompatible GPU vendor: service requires ${vendor}, peer has ${vendors}`
  }
  const largest = Math.max(...usable.map((g) => g.memory_mb))
  if (req.min_gpu_memory_mb !== undefined && req.min_gpu_memory_mb > largest) {
    return `insufficient GPU memory: service requires ${req.min_gpu_memory_mb} MB, peer's largest GPU has ${largest} MB`
  }
  return undefined
}

export type ExecutableFormat = { platform: string; architecture: string }

/** How many leading bytes to read for `detectExecutableFormat`: PE headers often start past 256. */
export const EXECUTABLE_HEAD_BYTES = 4096

// e_machine values from the ELF spec, as Go architecture names.
const ELF_MACHINES: Record<number, string> = { 3: '386', 40: 'arm', 62: 'amd64', 183: 'arm64' }
// Mach-O cputype values (CPU_ARCH_ABI64 = 0x01000000 marks the 64-bit variants).
const MACHO_CPUS: Record<number, string> = {
  7: '386',
  12: 'arm',
  0x01000007: 'amd64',
  0x0100000c: 'arm64',
}
// Magic as read big-endian → whether the header that follows is little-endian; 'fat' is universal.
const MACHO_MAGICS: Record<number, boolean | 'fat'> = {
  0xfeedface: false,
  0xfeedfacf: false,
  0xcefaedfe: true,
  0xcffaedfe: true,
  0xcafebabe: 'fat',
  0xcafebabf: 'fat',
}
// IMAGE_FILE_MACHINE_* values from the PE spec.
const PE_MACHINES: Record<number, string> = {
  0x14c: '386',
  0x1c0: 'arm',
  0x1c4: 'arm',
  0x8664: 'amd64',
  0xaa64: 'arm64',
}

/**
 * The platform and architecture a file runs on, read from its first bytes (pass
 * `EXECUTABLE_HEAD_BYTES` of them when the file has that many): ELF → linux, Mach-O → darwin,
 * PE → windows, a `#!` script → any/any. An unlisted CPU gives architecture 'unknown', a header cut
 * short gives 'any'; anything else is `undefined`. Never throws.
 */
export function detectExecutableFormat(head: Uint8Array): ExecutableFormat | undefined {
  const bytes = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const u16 = (at: number, le: boolean) =>
    at + 2 <= head.length ? bytes.getUint16(at, le) : undefined
  const u32 = (at: number, le: boolean) =>
    at + 4 <= head.length ? bytes.getUint32(at, le) : undefined
  const magic = u32(0, false)
  if (magic === 0x7f454c46) return elf(head, u16)
  if (magic !== undefined && magic in MACHO_MAGICS) return machO(magic, u32)
  if (head[0] === 0x4d && head[1] === 0x5a) return pe(u16, u32)
  if (head[0] === 0x23 && head[1] === 0x21) return { platform: 'any', architecture: 'any' }
  return undefined
}

type Read = (at: number, littleEndian: boolean) => number | undefined

function elf(head: Uint8Array, u16: Read): ExecutableFormat {
  // EI_OSABI 9 marks FreeBSD; Linux binaries carry 0 (System V) or 3 (GNU).
  const platform = head[7] === 9 ? 'freebsd' : 'linux'
  const machine = u16(18, head[5] !== 2) // EI_DATA 2 is big-endian
  return { platform, architecture: arch(ELF_MACHINES, machine) }
}

function machO(magic: number, u32: Read): ExecutableFormat | undefined {
  const littleEndian = MACHO_MAGICS[magic]!
  if (littleEndian === 'fat') {
    // Java class files share 0xcafebabe; there the next word is a class version (≥ 45), while a
    // universal binary holds a handful of architectures (the heuristic file(1) uses too).
    const count = u32(4, false)
    return count !== undefined && count > 0 && count < 20
      ? { platform: 'darwin', architecture: 'any' }
      : undefined
  }
  return { platform: 'darwin', architecture: arch(MACHO_CPUS, u32(4, littleEndian)) }
}

function pe(u16: Read, u32: Read): ExecutableFormat | undefined {
  const offset = u32(0x3c, true) ?? Infinity
  const signature = u32(offset, false)
  if (signature === undefined) return { platform: 'windows', architecture: 'any' }
  if (signature !== 0x50450000) return undefined // 'PE\0\0'; a bare 'MZ' is a DOS program
  return { platform: 'windows', architecture: arch(PE_MACHINES, u16(offset + 4, true)) }
}

function arch(table: Record<number, string>, value: number | undefined): string {
  if (value === undefined) return 'any'
  return table[value] ?? 'unknown'
}
