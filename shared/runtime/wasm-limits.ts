/**
 * Caps what a module may allocate by rewriting its declarations, so the engine itself refuses
 * growth past the caps (a wasm guest cannot be interrupted to check): the maximum of its memory,
 * the maxima of its tables (V8 keeps table entries on its own heap, ~28 bytes each, outside the
 * memory cap), one memory only, and no garbage-collected types (their objects would live on the
 * JS heap, where nothing caps them in a browser).
 */

const TYPE_SECTION = 1
const TABLE_SECTION = 4
const MEMORY_SECTION = 5
const PAGE = 65536
const FUNC_TYPE = 0x60
/** Value types that take a heap type after them: (ref null ht) and (ref ht). */
const REF_NULL = 0x63
const REF = 0x64

export class WasmLimitError extends Error {
  override name = 'WasmLimitError'
  constructor(
    message: string,
    /** OUT_OF_MEMORY when the module asks for more than the caps, else the module is malformed or unsupported. */
    readonly code: 'OUT_OF_MEMORY' | 'GUEST_ERROR' = 'GUEST_ERROR',
  ) {
    super(message)
  }
}

export interface ModuleLimits {
  /** Bytes the module's memory may reach. */
  memoryBytes: number
  /** Entries all its tables together may reach. */
  tableEntries: number
}

/** Returns module bytes whose memory and tables can grow at most to `limits`. */
export function capModule(bytes: Uint8Array, limits: ModuleLimits): Uint8Array {
  if (
    bytes.length < 8 ||
    bytes[0] !== 0 ||
    bytes[1] !== 0x61 ||
    bytes[2] !== 0x73 ||
    bytes[3] !== 0x6d
  ) {
    throw new WasmLimitError('not a WebAssembly binary (bad magic number)')
  }
  const out: number[][] = [Array.from(bytes.subarray(0, 8))]
  let pos = 8
  while (pos < bytes.length) {
    const id = bytes[pos] as number
    const [size, sizeLen] = readU32(bytes, pos + 1)
    const start = pos + 1 + sizeLen
    const end = start + size
    if (end > bytes.length) throw new WasmLimitError('truncated section in WebAssembly binary')
    const body = bytes.subarray(start, end)
    if (id === TYPE_SECTION) checkTypes(body)
    if (id === MEMORY_SECTION || id === TABLE_SECTION) {
      const rewritten =
        id === MEMORY_SECTION
          ? rewriteMemories(body, Math.max(1, Math.floor(limits.memoryBytes / PAGE)))
          : rewriteTables(body, limits.tableEntries)
      out.push([id, ...writeU32(rewritten.length), ...rewritten])
    } else {
      out.push(Array.from(bytes.subarray(pos, end)))
    }
    pos = end
  }
  return Uint8Array.from(out.flat())
}

/** Only function types: struct and array types (WasmGC) and their recursion groups are refused. */
function checkTypes(section: Uint8Array): void {
  const [count, countLen] = readU32(section, 0)
  let pos = countLen
  for (let i = 0; i < count; i++) {
    if (section[pos++] !== FUNC_TYPE) {
      throw new WasmLimitError(
        'the module declares garbage-collected types (struct or array), which are not supported: their objects would live outside the memory cap',
      )
    }
    for (let list = 0; list < 2; list++) {
      const [n, nLen] = readU32(section, pos)
      pos += nLen
      for (let v = 0; v < n; v++) pos = skipValueType(section, pos)
    }
  }
}

function skipValueType(bytes: Uint8Array, at: number): number {
  const type = bytes[at]
  if (type === undefined) throw new WasmLimitError('truncated WebAssembly binary')
  return type === REF_NULL || type === REF ? skipLeb(bytes, at + 1) : at + 1
}

function rewriteMemories(section: Uint8Array, capPages: number): number[] {
  const [count, countLen] = readU32(section, 0)
  if (count > 1) {
    throw new WasmLimitError(
      `the module declares ${count} memories; a WASI command has one, and the cap is per module`,
    )
  }
  let pos = countLen
  const out = [...writeU32(count)]
  for (let i = 0; i < count; i++) {
    const flags = section[pos++] as number
    if (flags & 0x04) throw new WasmLimitError('64-bit memories are not supported')
    const [min, minLen] = readU32(section, pos)
    pos += minLen
    let max = capPages
    if (flags & 0x01) {
      const [declared, maxLen] = readU32(section, pos)
      pos += maxLen
      max = Math.min(declared, capPages)
    }
    if (min > capPages) {
      throw new WasmLimitError(
        `the module starts with ${min * 64} KiB of memory; the cap is ${capPages * 64} KiB`,
        'OUT_OF_MEMORY',
      )
    }
    out.push(flags | 0x01, ...writeU32(min), ...writeU32(max))
  }
  return out
}

/**
 * Every table keeps its minimum; what the tables may grow by together is shared out evenly, so
 * the sum of their maxima stays within `capEntries`.
 */
function rewriteTables(section: Uint8Array, capEntries: number): number[] {
  const [count, countLen] = readU32(section, 0)
  let pos = countLen
  const tables: { type: Uint8Array; min: number; max?: number }[] = []
  for (let i = 0; i < count; i++) {
    if (section[pos] === 0x40) {
      throw new WasmLimitError('tables with an initializer expression are not supported')
    }
    const typeStart = pos
    pos = skipValueType(section, pos)
    const type = section.subarray(typeStart, pos)
    const flags = section[pos++] as number
    if (flags & 0x04) throw new WasmLimitError('64-bit tables are not supported')
    const [min, minLen] = readU32(section, pos)
    pos += minLen
    let max: number | undefined
    if (flags & 0x01) {
      const [declared, maxLen] = readU32(section, pos)
      pos += maxLen
      max = declared
    }
    tables.push({ type, min, ...(max !== undefined && { max }) })
  }
  const minimum = tables.reduce((sum, t) => sum + t.min, 0)
  if (minimum > capEntries) {
    throw new WasmLimitError(
      `the module's tables start with ${minimum} entries; the cap is ${capEntries}`,
      'OUT_OF_MEMORY',
    )
  }
  const share = Math.floor((capEntries - minimum) / Math.max(1, count))
  const out = [...writeU32(count)]
  for (const t of tables) {
    const max = Math.min(t.max ?? Infinity, t.min + share)
    out.push(...t.type, 0x01, ...writeU32(t.min), ...writeU32(max))
  }
  return out
}

function readU32(bytes: Uint8Array, at: number): [number, number] {
  let result = 0
  let shift = 0
  for (let i = 0; i < 5; i++) {
    const byte = bytes[at + i]
    if (byte === undefined) throw new WasmLimitError('truncated WebAssembly binary')
    result |= (byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [result >>> 0, i + 1]
    shift += 7
  }
  throw new WasmLimitError('malformed integer in WebAssembly binary')
}

/** Skips a LEB128 integer of up to 5 bytes (a heap type is a signed 33-bit one). */
function skipLeb(bytes: Uint8Array, at: number): number {
  for (let i = 0; i < 5; i++) {
    const byte = bytes[at + i]
    if (byte === undefined) throw new WasmLimitError('truncated WebAssembly binary')
    if ((byte & 0x80) === 0) return at + i + 1
  }
  throw new WasmLimitError('malformed integer in WebAssembly binary')
}

function writeU32(value: number): number[] {
  const out: number[] = []
  let v = value >>> 0
  do {
    let byte = v & 0x7f
    v >>>= 7
    if (v !== 0) byte |= 0x80
    out.push(byte)
  } while (v !== 0)
  return out
}
