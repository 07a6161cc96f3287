/** Accepting a WebAssembly module: size cap, validation, content id, stored once. */
import { cidOf } from '../../../shared/protocol/cid'
import { HttpError } from '../http-error'
import type { Scheduler } from '../jobs/scheduler'

/** Where accepted modules go, and how large one may be. */
export interface ModuleIntake {
  maxWasmBytes: number
  modules: Pick<Scheduler, 'putModule'>
}

export interface StoredModule {
  cid: string
  size: number
  created: boolean
}

export async function acceptModule(
  intake: ModuleIntake,
  bytes: Uint8Array,
  field?: string,
): Promise<StoredModule> {
  const max = intake.maxWasmBytes
  const extra = field ? { field } : {}
  if (bytes.length > max) {
    throw new HttpError(
      413,
      'WASM_TOO_LARGE',
      `the module is ${bytes.length} bytes; the limit is ${max}`,
      extra,
    )
  }
  if (bytes.length === 0 || !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    throw new HttpError(
      400,
      'INVALID_WASM',
      `${field ?? 'the body'} is not a valid WebAssembly module`,
      extra,
    )
  }
  const cid = await cidOf(bytes)
  const created = intake.modules.putModule(cid, bytes)
  return { cid, size: bytes.length, created }
}

/** Decodes base64 without a host Buffer; bad input is a 400 naming the field. */
export function decodeBase64(text: string, field: string): Uint8Array {
  let binary: string
  try {
    binary = atob(text)
  } catch {
    throw new HttpError(400, 'INVALID_REQUEST', `${field} is not valid base64`, { field })
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
