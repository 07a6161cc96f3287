/**
 * Hands a request to a job room's Durable Object: the room learns its number from a header, and
 * the body is relayed chunk by chunk so that a room answering early does not leave it half read.
 */
import { ROOM_HEADER, type Env } from './env'

/** Sends `request` to job room `room` and returns its answer. */
export async function forward(env: Env, room: number, request: Request): Promise<Response> {
  // Every header goes along, CF-Connecting-IP too: the room's per-client limits key on it.
  const headers = new Headers(request.headers)
  headers.set(ROOM_HEADER, String(room))
  const stub = env.JOB_ROOMS.get(env.JOB_ROOMS.idFromName(`room-${room}`))
  if (!request.body) return stub.fetch(new Request(request, { headers }))
  // A GET or HEAD body means nothing, and no room reads one: it is not sent on.
  if (request.method === 'GET' || request.method === 'HEAD')
    return stub.fetch(new Request(request.url, { method: request.method, headers }))
  const relay = relayBody(request.body, request.headers.get('content-length'))
  try {
    return await stub.fetch(new Request(request, { headers, body: relay.body }))
  } finally {
    await relay.answered()
  }
}

/** What a room may leave unread and the Worker still takes and drops, to keep the connection. */
const DRAIN_BYTES = 1024 * 1024
const DRAIN_MS = 2_000

/**
 * Hands a request body to a room chunk by chunk. A room may answer without reading it (a 401
 * before the body, a 413 part way): left to the runtime, the rest would then be read after the
 * answer went out, which workerd counts as an uncaught error. So once the room answered, the
 * rest is taken and dropped unread — as an HTTP server drains a body it refused, so the
 * connection can carry the next request — up to a bound, and the client's stream is cancelled.
 */
function relayBody(
  source: ReadableStream<Uint8Array>,
  length: string | null,
): { body: ReadableStream<Uint8Array>; answered: () => Promise<void> } {
  const relay =
    length !== null && /^\d{1,15}$/.test(length)
      ? new FixedLengthStream(Number(length))
      : new IdentityTransformStream()
  const reader = source.getReader()
  const writer = relay.writable.getWriter()
  let answer: () => void = () => undefined
  const answered = new Promise<void>((resolve) => (answer = resolve))
  let stopped = false
  let dropped = 0
  const pumped = (async () => {
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) return stopped ? undefined : writer.close()
      if (stopped) {
        if ((dropped += chunk.value.byteLength) > DRAIN_BYTES) return
        continue
      }
      // A room that stopped reading holds the write up: its answer releases it.
      await Promise.race([writer.write(chunk.value).catch(() => undefined), answered])
    }
  })().catch(() => undefined)
  return {
    body: relay.readable,
    answered: async () => {
      stopped = true
      answer()
      const timer = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_MS))
      await Promise.race([pumped, timer])
      await reader.cancel().catch(() => undefined)
    },
  }
}
