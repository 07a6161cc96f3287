/**
 * Caps a module's linear memory by rewriting the maximum in its memory section, so the engine
 * itself refuses `memory.grow` past the cap (a wasm guest cannot be interrupted to check).
 */

const MEMORY_SECTION = 5
const PAGE = 65536

export class WasmLimitError extends Error {
  override name = 'WasmLimitError'
}

/** Returns module bytes whose memories may grow to at most `maxBytes`. */
export function capMemory(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const capPages = Math.max(1, Math.floor(maxBytes / PAGE))
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
    if (id === MEMORY_SECTION) {
      const body = rewriteMemories(bytes.subarray(start, end), capPages)
      out.push([id, ...writeU32(body.length), ...body])
    } else {
      out.push(Array.from(bytes.subarray(pos, end)))
    }
    pos = end
  }
  return Uint8Array.from(out.flat())
}

function rewriteMemories(section: Uint8Array, capPages: number): number[] {
  const [count, countLen] = readU32(section, 0)
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
      )
    }
    out.push(flags | 0x01, ...writeU32(min), ...writeU32(max))
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
