/**
 * The `/ws/volunteer` protocol, imported by the orchestrator, the PWA, `zerverless --worker` and
 * the runner. Every frame is JSON text with a `type`; every inbound frame is schema-parsed because
 * volunteers and orchestrators are untrusted to each other.
 */
import { z } from 'zod'
import { Capabilities } from './capabilities'
import { CID_PATTERN } from './cid'
import { HostCall, HostReply } from './host-call'
import { PROTOCOL_ERROR_CODES } from './errors'
import { JobError, Namespace, Runtime } from './job'
import { JsonObject, JsonValue } from './json'
import { describeIssues } from './schema-errors'

export const PROTOCOL_VERSION = 1

/**
 * Heartbeats are fixed strings so that a host can answer them without waking application code
 * (Durable Objects' WebSocket auto-response).
 */
export const HEARTBEAT_FRAME = '{"type":"heartbeat"}'
export const HEARTBEAT_ACK_FRAME = '{"type":"heartbeat_ack"}'

const JobRef = {
  job_id: z.string().min(1).max(128),
  /** Which dispatch of the job this is about; results for an older attempt are ignored. */
  attempt: z.number().int().min(1),
}

export const AgentInfo = z.strictObject({
  kind: z.enum(['internal', 'node', 'browser', 'runner']),
  name: z.string().max(128).optional(),
  version: z.string().max(64).optional(),
})
export type AgentInfo = z.infer<typeof AgentInfo>

// ── volunteer → orchestrator ────────────────────────────────────────────────

export const HelloFrame = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  agent: AgentInfo,
  capabilities: Capabilities,
})
export const HeartbeatFrame = z.strictObject({ type: z.literal('heartbeat') })
/** What a finished attempt reports besides its result: stderr and a WASI exit status. */
const Streams = {
  stderr: z.string().optional(),
  exit_code: z.number().int().optional(),
}

export const ResultFrame = z.strictObject({
  type: z.literal('result'),
  ...JobRef,
  result: JsonValue,
  output: z.string(),
  ...Streams,
})
export const JobErrorFrame = z.strictObject({
  type: z.literal('error'),
  ...JobRef,
  error: JobError,
  output: z.string().optional(),
  ...Streams,
  /** True when the failure is the volunteer's, not the guest's: the job may run elsewhere. */
  retryable: z.boolean().optional(),
})
export const ProgressFrame = z.strictObject({
  type: z.literal('progress'),
  ...JobRef,
  fraction: z.number().min(0).max(1).optional(),
  message: z.string().max(1024).optional(),
})
/** A guest's call to the host (its namespace's database), made while running job_id. */
export const HostFrame = z.strictObject({
  type: z.literal('host'),
  ...JobRef,
  request_id: z.number().int().nonnegative(),
  call: HostCall,
})
export type HostFrame = z.infer<typeof HostFrame>

export const DrainFrame = z.strictObject({
  type: z.literal('drain'),
  reason: z.string().max(256).optional(),
})

export const VolunteerFrame = z.discriminatedUnion('type', [
  HelloFrame,
  HeartbeatFrame,
  ResultFrame,
  JobErrorFrame,
  ProgressFrame,
  HostFrame,
  DrainFrame,
])
export type VolunteerFrame = z.infer<typeof VolunteerFrame>
export type HelloFrame = z.infer<typeof HelloFrame>
export type ResultFrame = z.infer<typeof ResultFrame>
export type JobErrorFrame = z.infer<typeof JobErrorFrame>

// ── orchestrator → volunteer ────────────────────────────────────────────────

export const WelcomeFrame = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  volunteer_id: z.string(),
  heartbeat_interval_ms: z.number().int().positive(),
  max_frame_bytes: z.number().int().positive(),
})
export const HeartbeatAckFrame = z.strictObject({ type: z.literal('heartbeat_ack') })

/** Everything a volunteer needs to run one attempt of a job. */
export const JobFrame = z.strictObject({
  type: z.literal('job'),
  ...JobRef,
  job_type: Runtime,
  namespace: Namespace,
  code: z.string(),
  input_data: JsonObject.nullable(),
  timeout_ms: z.number().int().positive(),
  /** `function`: a deployed function's invocation; `input_data` is the request, the result the response. */
  mode: z.enum(['job', 'function']).optional(),
  /** wasm jobs: the module's content id (fetch it from GET /api/wasm/{cid}), its argv and environment. */
  wasm_cid: z.string().regex(CID_PATTERN).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
})
export const CancelFrame = z.strictObject({
  type: z.literal('cancel'),
  ...JobRef,
  reason: z.enum(['cancelled', 'timeout']),
})
export const OrchestratorErrorFrame = z.strictObject({
  type: z.literal('error'),
  code: z.enum(PROTOCOL_ERROR_CODES),
  message: z.string(),
  job_id: z.string().optional(),
})
export const HostReplyFrame = z.strictObject({
  type: z.literal('host_reply'),
  request_id: z.number().int().nonnegative(),
  reply: HostReply,
})
export type HostReplyFrame = z.infer<typeof HostReplyFrame>

export const OrchestratorDrainFrame = z.strictObject({
  type: z.literal('drain'),
  reason: z.string().optional(),
})

export const OrchestratorFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  HeartbeatAckFrame,
  JobFrame,
  CancelFrame,
  OrchestratorErrorFrame,
  HostReplyFrame,
  OrchestratorDrainFrame,
])
export type OrchestratorFrame = z.infer<typeof OrchestratorFrame>
export type WelcomeFrame = z.infer<typeof WelcomeFrame>
export type JobFrame = z.infer<typeof JobFrame>
export type CancelFrame = z.infer<typeof CancelFrame>
export type OrchestratorErrorFrame = z.infer<typeof OrchestratorErrorFrame>

// ── parsing ─────────────────────────────────────────────────────────────────

export type Parsed<T> = { ok: true; frame: T } | { ok: false; error: string }

function parseWith<T>(schema: z.ZodType<T>, text: string): Parsed<T> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { ok: false, error: 'frame is not JSON text' }
  }
  try {
    const parsed = schema.safeParse(data)
    if (parsed.success) return { ok: true, frame: parsed.data }
    return { ok: false, error: describeIssues(parsed.error, data) }
  } catch {
    // Only pathological nesting gets here (the recursive JSON schema runs out of stack).
    return { ok: false, error: 'frame is nested too deeply' }
  }
}

export const parseVolunteerFrame = (text: string): Parsed<VolunteerFrame> =>
  parseWith(VolunteerFrame, text)

export const parseOrchestratorFrame = (text: string): Parsed<OrchestratorFrame> =>
  parseWith(OrchestratorFrame, text)

/** Serializes a frame; `satisfies` at call sites keeps senders honest about the shape. */
export function encodeFrame(frame: VolunteerFrame | OrchestratorFrame): string {
  return JSON.stringify(frame)
}
