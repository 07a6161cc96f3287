/** The owner's half of a host call: the reply written to the shared buffer its thread waits on. */
import type { HostReply } from '../protocol/host-call'
import { HOST_HEADER_BYTES } from './sandbox-protocol'

/** Room for one host-call reply: a 2 MiB value as JSON, with headroom for escaping. */
export const HOST_REPLY_BYTES = 4 * 1024 * 1024 + 1024

/** Puts a host-call reply where the waiting thread reads it, and wakes it. */
export function writeReply(buffer: SharedArrayBuffer, sequence: number, reply: HostReply): void {
  let bytes = new TextEncoder().encode(JSON.stringify(reply))
  if (bytes.length > HOST_REPLY_BYTES) {
    bytes = new TextEncoder().encode(
      JSON.stringify({ ok: false, error: `the reply is over ${HOST_REPLY_BYTES} bytes` }),
    )
  }
  const state = new Int32Array(buffer, 0, 3)
  new Uint8Array(buffer, HOST_HEADER_BYTES).set(bytes)
  Atomics.store(state, 1, bytes.length)
  Atomics.store(state, 2, sequence)
  Atomics.store(state, 0, 1)
  Atomics.notify(state, 0)
}
