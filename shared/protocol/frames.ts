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
import { SystemCapabilities } from './system-capabilities'

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

/** A runner's lasting identity (kept in its data directory) and what its machine offers. */
export const PeerInfo = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  /** Whether it runs standalone services' native executables (`--no-native` turns it off). */
  native: z.boolean(),
  system: SystemCapabilities,
})
export type PeerInfo = z.infer<typeof PeerInfo>

// ── volunteer → orchestrator ────────────────────────────────────────────────

const HelloFrame = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  agent: AgentInfo,
  capabilities: Capabilities,
  /** Runners only. */
  peer: PeerInfo.optional(),
  /**
   * A credential: the orchestrator's runner or volunteer token, or a token its admin issued with
   * the `runner` or `volunteer` right (`zerverless-runner --token`, `zerverless --worker --token`).
   * Without one a volunteer is anonymous, and where auth is on, untrusted (and no runner).
   */
  token: z.string().max(4096).optional(),
})
const HeartbeatFrame = z.strictObject({ type: z.literal('heartbeat') })
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
const ProgressFrame = z.strictObject({
  type: z.literal('progress'),
  ...JobRef,
  fraction: z.number().min(0).max(1).optional(),
  message: z.string().max(1024).optional(),
})
/** A guest's call to the host (its namespace's database), made while running job_id. */
const HostFrame = z.strictObject({
  type: z.literal('host'),
  ...JobRef,
  request_id: z.number().int().nonnegative(),
  call: HostCall,
})

const DrainFrame = z.strictObject({
  type: z.literal('drain'),
  reason: z.string().max(256).optional(),
})

/** A runner's refreshed capabilities (available memory and disk change). */
const SystemFrame = z.strictObject({
  type: z.literal('system'),
  system: SystemCapabilities,
})

/** What a runner found registering a service's executable on its disk. */
export const ServiceRegisteredFrame = z.strictObject({
  type: z.literal('service_registered'),
  request_id: z.number().int().nonnegative(),
  ok: z.boolean(),
  error: z.string().max(8192).optional(),
  /** Why it was refused, when the orchestrator answers the API caller with more than a 400. */
  code: z.enum(['PATH_NOT_ALLOWED']).optional(),
  /** The executable's absolute path on the runner. */
  executable_path: z.string().max(4096).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  size: z.number().int().nonnegative().optional(),
  /** From the file's header (ELF, Mach-O, PE, #!), when recognised. */
  platform: z.string().max(32).optional(),
  architecture: z.string().max(32).optional(),
  git_commit_hash: z.string().max(64).optional(),
})
export type ServiceRegisteredFrame = z.infer<typeof ServiceRegisteredFrame>

export const VolunteerFrame = z.discriminatedUnion('type', [
  HelloFrame,
  HeartbeatFrame,
  ResultFrame,
  JobErrorFrame,
  ProgressFrame,
  HostFrame,
  DrainFrame,
  SystemFrame,
  ServiceRegisteredFrame,
])
export type VolunteerFrame = z.infer<typeof VolunteerFrame>
export type ResultFrame = z.infer<typeof ResultFrame>
export type JobErrorFrame = z.infer<typeof JobErrorFrame>

// ── orchestrator → volunteer ────────────────────────────────────────────────

const WelcomeFrame = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  volunteer_id: z.string(),
  heartbeat_interval_ms: z.number().int().positive(),
  max_frame_bytes: z.number().int().positive(),
})
const HeartbeatAckFrame = z.strictObject({ type: z.literal('heartbeat_ack') })

const MountFunction = z.enum(['INPUT', 'OUTPUT', 'BOTH'])

/** Most files one run may take from earlier jobs' outputs. */
export const MAX_INPUT_REFS = 1024

/** One output of an earlier job, as it was when the run was submitted. */
const OutputRef = z.strictObject({
  job_id: z.string().min(1).max(128),
  output: z.string().min(1).max(1024),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
})
export type OutputRef = z.infer<typeof OutputRef>

/** An earlier job's output that becomes a file of an INPUT mount. */
const InputRef = OutputRef.extend({ mount: z.string().max(1024), name: z.string().max(1024) })
export type InputRef = z.infer<typeof InputRef>

/**
 * A native job: which service to run and how. A runner runs only services it registered itself
 * (local, git: the executable must still have `sha256`) or that the orchestrator stores (upload:
 * fetched from GET /api/services/standalone/{id}/files/{path} and checked against `sha256`).
 */
export const NativeRun = z.strictObject({
  service_id: z.number().int().positive(),
  service_name: z.string().max(64),
  source: z.enum(['local', 'upload', 'git']),
  /** local and git: the absolute path the runner registered; upload: the file's path in the service. */
  executable_path: z.string().max(4096),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  arguments: z.array(z.string().max(65536)).max(1024),
  working_directory: z.string().max(4096),
  environment_variables: z.record(z.string(), z.string()),
  inherit_environment: z.boolean(),
  run_as_user: z.string().max(128),
  interfaces: z
    .array(
      z.strictObject({
        interface_type: z.enum(['STDIN', 'STDOUT', 'STDERR', 'LOGS', 'MOUNT']),
        path: z.string().max(1024),
        mount_function: MountFunction.nullable(),
      }),
    )
    .max(64),
  /** upload: every file of the service (the runner fetches and checks each one). */
  files: z
    .array(
      z.strictObject({
        path: z.string().max(1024),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        size: z.number().int().nonnegative(),
      }),
    )
    .max(1000)
    .optional(),
  /** Text for the process's standard input. */
  stdin: z.string().optional(),
  /** Files for INPUT mounts: written under the mount's directory before the process starts. */
  input_files: z
    .array(
      z.strictObject({ mount: z.string().max(1024), name: z.string().max(1024), data: z.string() }),
    )
    .max(256),
  /**
   * Files for INPUT mounts taken from earlier jobs' outputs: the runner fetches each from
   * GET /api/jobs/{job_id}/outputs/{output}?for={this job} with its job token, checks `size` and
   * `sha256`, and only then moves it to `name` (a relative path) under the mount's directory.
   */
  input_refs: z.array(InputRef).max(MAX_INPUT_REFS).optional(),
  /** Standard input from an earlier job's output, fetched and checked like `input_refs`. */
  stdin_ref: OutputRef.optional(),
  /** Set for a workflow's jobs: the runner keeps them under workflows/{orchestrator}/{workflow_run}/. */
  workflow_run: z.string().min(1).max(256).optional(),
  /** Bearer token for this attempt's outputs (PUT /api/jobs/{id}/outputs/{name}) and files. */
  job_token: z.string().min(16).max(128),
  /** The orchestrator's id, for the output directory layout. */
  orchestrator: z.string().max(128),
})
export type NativeRun = z.infer<typeof NativeRun>

/**
 * Which deployed version a function call is for, so a volunteer may keep a context warm for it:
 * with the namespace, it names one version of one deployment (a path deleted and deployed again
 * starts over at version 1, but with a later `deployed_at`, in milliseconds). Volunteers also
 * check that the code is the code their context was made from.
 */
export const FunctionVersion = z.strictObject({
  path: z.string().min(1).max(1024),
  version: z.number().int().min(1),
  deployed_at: z.number().int(),
})
export type FunctionVersion = z.infer<typeof FunctionVersion>

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
  /**
   * Function calls: the version called. Sent only to volunteers that said `warm` in their hello
   * (capabilities.ts): older ones parse job frames strictly and would refuse the field.
   */
  function: FunctionVersion.optional(),
  /** wasm jobs: the module's content id (fetch it from GET /api/wasm/{cid}), its argv and environment. */
  wasm_cid: z.string().regex(CID_PATTERN).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** native jobs */
  native: NativeRun.optional(),
  /**
   * The secrets the work declared, by name, sent only to executors the admin trusts with them:
   * guests read them as `SECRETS` (js, lua, python), native and wasm runs as environment variables.
   */
  secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string()).optional(),
})
const CancelFrame = z.strictObject({
  type: z.literal('cancel'),
  ...JobRef,
  reason: z.enum(['cancelled', 'timeout']),
})
const OrchestratorErrorFrame = z.strictObject({
  type: z.literal('error'),
  code: z.enum(PROTOCOL_ERROR_CODES),
  message: z.string(),
  job_id: z.string().optional(),
})
const HostReplyFrame = z.strictObject({
  type: z.literal('host_reply'),
  request_id: z.number().int().nonnegative(),
  reply: HostReply,
})

const OrchestratorDrainFrame = z.strictObject({
  type: z.literal('drain'),
  reason: z.string().optional(),
})

/**
 * Asks a runner to register a service's executable: check a local one (exists, a file,
 * executable; hash it), or clone a repository and build it. Git credentials travel only here and
 * are neither stored nor logged.
 */
export const ServiceRegisterFrame = z.strictObject({
  type: z.literal('service_register'),
  request_id: z.number().int().nonnegative(),
  service_id: z.number().int().positive(),
  service_name: z.string().max(64),
  source: z.enum(['local', 'git']),
  executable_path: z.string().max(4096),
  git: z
    .strictObject({
      repo_url: z.string().max(2048),
      branch: z.string().max(256).optional(),
      build_command: z.string().max(8192).optional(),
      username: z.string().max(256).optional(),
      password: z.string().max(4096).optional(),
    })
    .optional(),
})
export type ServiceRegisterFrame = z.infer<typeof ServiceRegisterFrame>

/** The service is gone: the runner deletes what it kept for it (its clone, its cached files). */
const ServiceForgetFrame = z.strictObject({
  type: z.literal('service_forget'),
  service_id: z.number().int().positive(),
  service_name: z.string().max(64),
})

export const OrchestratorFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  HeartbeatAckFrame,
  JobFrame,
  CancelFrame,
  OrchestratorErrorFrame,
  HostReplyFrame,
  OrchestratorDrainFrame,
  ServiceRegisterFrame,
  ServiceForgetFrame,
])
export type OrchestratorFrame = z.infer<typeof OrchestratorFrame>
export type JobFrame = z.infer<typeof JobFrame>

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
