/**
 * What orchestrators say to each other over the mesh: announcements on `/zerverless/stats/1.0.0`
 * and a forwarded job's lease on `/zerverless/job/1.0.0`. Every peer is untrusted, so every frame
 * is parsed here, every string and list bounded.
 */
import { z } from 'zod'
import { CID_PATTERN } from './cid'
import { NativeRun } from './frames'
import { HostCall, HostReply } from './host-call'
import { JobError, Namespace, Runtime } from './job'
import { JsonObject, JsonValue } from './json'
import { Gpu, ServiceRequirements } from './system-capabilities'

/** A libp2p peer id as text (base58btc or base32 CIDs): letters and digits. */
export const PeerId = z.string().regex(/^[A-Za-z0-9]{32,64}$/, 'must be a libp2p peer id')

const Count = z.int().min(0).max(1_000_000)
const Hash = z.string().regex(/^[0-9a-f]{64}$/)

/** One native runner's machine, as much as placing work on it needs. */
const NativeOffer = z.strictObject({
  platform: z.string().max(32),
  architecture: z.string().max(32),
  memory_mb: Count,
  disk_mb: Count,
  cpu_cores: Count,
  gpus: z.array(z.strictObject({ vendor: Gpu.shape.vendor, memory_mb: Count })).max(64),
})

/** What an orchestrator tells its peers every few seconds. */
export const Announcement = z.strictObject({
  type: z.literal('stats'),
  volunteers: z.strictObject({ connected: Count, idle: Count }),
  pending_jobs: Count,
  /** Busy slots over all slots, 0..1 (1 with no slots at all). */
  load: z.number().min(0).max(1),
  /** Runtimes its volunteers offer to forwarded work (whitelisting volunteers do not count). */
  runtimes: z.array(Runtime).max(8),
  /** Slots over all its volunteers that take forwarded work. */
  slots: Count,
  native: z.array(NativeOffer).max(256),
  /** The peers it takes work from (its allow list); absent: any peer. */
  allow: z.array(PeerId).max(1024).optional(),
})
export type Announcement = z.infer<typeof Announcement>

const Ref = {
  job_id: z.string().min(1).max(128),
  attempt: z.int().min(1),
}

/**
 * An uploaded service's run, as a peer may run it: the run without its token (tokens never leave
 * the origin) or anything that reaches outside its files (earlier jobs' outputs stay home too).
 */
export const ForwardedRun = z.strictObject({
  run: NativeRun.omit({
    job_token: true,
    orchestrator: true,
    input_refs: true,
    stdin_ref: true,
  }).extend({ source: z.literal('upload') }),
  requirements: ServiceRequirements,
})
export type ForwardedRun = z.infer<typeof ForwardedRun>

/** Bytes of a file on the wire: base64 of at most this many bytes a frame. */
export const FILE_CHUNK_BYTES = 1 << 20

/** One piece of a file: a service's file (origin → peer) or a run's output (peer → origin). */
const FileChunk = {
  /** The service file's path, or the output's name. */
  path: z.string().min(1).max(1024),
  data: z.string().max(Math.ceil(FILE_CHUNK_BYTES / 3) * 4),
  last: z.boolean(),
}

// ── the origin → the peer that runs it ───────────────────────────────────────

/** One attempt of a job offered to a peer: everything but the code, which goes by hash. */
export const Offer = z.strictObject({
  type: z.literal('offer'),
  ...Ref,
  job_type: Runtime,
  /** The origin's namespace, for the guest and the logs; the peer's record uses its own. */
  namespace: Namespace,
  code_hash: Hash,
  input_data: JsonObject.nullable(),
  timeout_ms: z
    .int()
    .positive()
    .max(24 * 3600_000),
  wasm_cid: z.string().regex(CID_PATTERN).optional(),
  args: z.array(z.string().max(4096)).max(256).optional(),
  env: z.record(z.string().max(256), z.string().max(4096)).optional(),
  /** What the guest's `db` calls may reach on an untrusted volunteer of the peer. */
  untrusted_db: z.strictObject({
    read: z.array(z.string().max(512)).max(64),
    write: z.array(z.string().max(512)).max(64),
  }),
  /** How long the origin waits between signs of life before it takes the job back. */
  lease_ms: z.int().min(1000).max(600_000),
  /** Native jobs only. */
  native: ForwardedRun.optional(),
})
export type Offer = z.infer<typeof Offer>

export const OriginFrame = z.discriminatedUnion('type', [
  Offer,
  z.strictObject({ type: z.literal('code'), hash: Hash, code: z.string() }),
  /** A wasm module's bytes, base64. */
  z.strictObject({ type: z.literal('wasm'), cid: z.string().regex(CID_PATTERN), data: z.string() }),
  z.strictObject({
    type: z.literal('host_reply'),
    request_id: z.int().min(0),
    reply: HostReply,
  }),
  z.strictObject({ type: z.literal('cancel'), reason: z.enum(['cancelled', 'timeout']) }),
  z.strictObject({ type: z.literal('file'), ...FileChunk }),
])
export type OriginFrame = z.infer<typeof OriginFrame>

// ── the peer that runs it → the origin ───────────────────────────────────────

/** Why a peer would not take an offer. */
export const REFUSAL_CODES = [
  'NOT_ALLOWED',
  'NO_WORKER',
  'RATE_LIMITED',
  'TOO_MANY',
  'BAD_FRAME',
  'DUPLICATE',
] as const

const Streams = {
  stderr: z.string().optional(),
  exit_code: z.int().optional(),
}

export const PeerFrame = z.discriminatedUnion('type', [
  /** A sign of life an executor may send once it took the offer (ours sends none: see IncomingLease). */
  z.strictObject({ type: z.literal('accepted'), ...Ref }),
  z.strictObject({
    type: z.literal('refused'),
    job_id: z.string().max(128).optional(),
    code: z.enum(REFUSAL_CODES),
    message: z.string().max(1024),
  }),
  z.strictObject({ type: z.literal('need_code'), ...Ref, hash: Hash }),
  z.strictObject({ type: z.literal('need_wasm'), ...Ref, cid: z.string().regex(CID_PATTERN) }),
  /** A native run's service file, by its path in the service. */
  z.strictObject({ type: z.literal('need_file'), ...Ref, path: z.string().min(1).max(1024) }),
  /** A native run's output, sent before its result. */
  z.strictObject({ type: z.literal('output'), ...Ref, ...FileChunk }),
  /** A sign of life; `volunteer` once one of its volunteers runs it. */
  z.strictObject({
    type: z.literal('heartbeat'),
    ...Ref,
    volunteer: z.string().max(128).optional(),
  }),
  z.strictObject({
    type: z.literal('progress'),
    ...Ref,
    fraction: z.number().min(0).max(1).optional(),
    message: z.string().max(1024).optional(),
  }),
  z.strictObject({ type: z.literal('host'), ...Ref, request_id: z.int().min(0), call: HostCall }),
  z.strictObject({
    type: z.literal('result'),
    ...Ref,
    result: JsonValue,
    output: z.string(),
    volunteer: z.string().max(128),
    ...Streams,
  }),
  z.strictObject({
    type: z.literal('error'),
    ...Ref,
    error: JobError,
    output: z.string().optional(),
    volunteer: z.string().max(128).optional(),
    /** The peer failed, not the guest: the job may run elsewhere. */
    retryable: z.boolean(),
    ...Streams,
  }),
])
export type PeerFrame = z.infer<typeof PeerFrame>
