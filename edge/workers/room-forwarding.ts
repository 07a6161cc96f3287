/**
 * Hands a request to a job room's Durable Object. Most go as an RPC call (`serve`), their body
 * read here first when it is small; a WebSocket upgrade, or a large or unsized body, goes as an
 * HTTP subrequest (`fetch`), the room learning its number from a header, and the body relayed
 * chunk by chunk so that a room answering early does not leave it half read.
 */
import { ROOM_HEADER, type Env } from './env'

/**
 * Bodies up to this size (as declared) are read by the Worker and sent along with the RPC call: a
 * function call's or an API call's body, in one or two packets, not a storage upload.
 */
const SMALL_BODY_BYTES = 64 * 1024

/** Sends `request` to job room `room` and returns its answer. */
export async function forward(env: Env, room: number, request: Request): Promise<Response> {
  const stub = env.JOB_ROOMS.get(roomId(env, room))
  // A GET or HEAD body means nothing, and no room reads one: it is not sent on.
  const bodiless = !request.body || request.method === 'GET' || request.method === 'HEAD'
  if (request.headers.get('upgrade') === null) {
    const { method, headers } = request
    if (bodiless)
      return stub.serve(
        request.body ? new Request(request.url, { method, headers }) : request,
        room,
      )
    if (isSmall(headers.get('content-length'))) {
      const body = await request.arrayBuffer()
      return stub.serve(new Request(request.url, { method, headers, body }), room)
    }
  }
  // Every header goes along, CF-Connecting-IP too: the room's per-client limits key on it.
  const headers = new Headers(request.headers)
  headers.set(ROOM_HEADER, String(room))
  if (!request.body) return stub.fetch(new Request(request, { headers }))
  if (bodiless) return stub.fetch(new Request(request.url, { method: request.method, headers }))
  const relay = relayBody(request.body, request.headers.get('content-length'))
  try {
    return await stub.fetch(new Request(request, { headers, body: relay.body }))
  } finally {
    await relay.answered()
  }
}

const ids = new WeakMap<Env, DurableObjectId[]>()

/** Room ids are plain values (unlike stubs, which belong to one request): made once per room. */
function roomId(env: Env, room: number): DurableObjectId {
  let known = ids.get(env)
  if (!known) ids.set(env, (known = []))
  return (known[room] ??= env.JOB_ROOMS.idFromName(`room-${room}`))
}

function isSmall(length: string | null): boolean {
  return length !== null && /^\d{1,15}$/.test(length) && Number(length) <= SMALL_BODY_BYTES
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
