/**
 * What a workflow document may say, parsed at the API's edge: steps that each run one kind of work
 * (inline code, a wasm module, a deployed function, a standalone service), what they need, their
 * input (with `${...}` references), fan-out, retries, and how native steps' interfaces connect.
 * Whole-document rules (cycles, unknown names, templates) are in workflow-check.ts.
 */
import { z } from 'zod'
import { CID_PATTERN } from '../../../shared/protocol/cid'
import { Namespace } from '../../../shared/protocol/job'
import { ServiceRequirements } from '../../../shared/protocol/system-capabilities'
import type { OrchestratorConfig } from '../config'
import { ExecutorField, UntrustedDbField } from '../jobs/executor-policy'
import { SecretNames } from '../secrets/secret-names'
import { between, runtimeName } from '../routes/job-schemas'

/** At most this many steps in one workflow. */
const MAX_STEPS = 1000
/** At most this many elements in one step's fan-out. */
export const MAX_FANOUT = 10_000

const StepId = z.string({ error: 'must be a string' }).regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, {
  error: 'must start with a letter or _ and hold only letters, digits, _ and - (at most 64)',
})

const timeout = (config: OrchestratorConfig) => between(1, config.maxTimeoutSeconds).optional()

/** Inline js, lua or python code: a job like `POST /api/jobs` makes. */
const CodeRun = z.strictObject({
  runtime: runtimeName,
  code: z
    .string({ error: 'must be a string of source code' })
    .min(1, { error: 'must not be empty' }),
  executor: ExecutorField.optional(),
  untrusted_db: UntrustedDbField.optional(),
  /** Names of the namespace's secrets the guest reads as `SECRETS.NAME`. */
  secrets: SecretNames.optional(),
})

/** A WebAssembly module uploaded before (`POST /api/wasm`), named by its id. */
const WasmRun = z.strictObject({
  runtime: z.literal('wasm'),
  wasm_cid: z
    .string()
    .regex(CID_PATTERN, { error: 'must be a module id as returned by POST /api/wasm' }),
  args: z.array(z.string().max(4096)).max(256).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4096)).optional(),
  executor: ExecutorField.optional(),
  untrusted_db: UntrustedDbField.optional(),
  /** Names of the namespace's secrets, as environment variables. */
  secrets: SecretNames.optional(),
})

/** A deployed function, called with an HTTP-shaped request; its response is the step's result. */
const FunctionRun = z.strictObject({
  function: z
    .string({ error: 'must be a function path such as "/alice/hello"' })
    .regex(/^\/[^/]+(\/.*)?$/, { error: 'must be a function path such as "/alice/hello"' })
    .max(1024),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  query: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** A string is sent as it is; any other JSON value as JSON. May hold `${...}` references. */
  body: z.json().optional(),
})

/** A standalone service run on a runner (its own or the step's capabilities respected). */
const ServiceRun = z.strictObject({
  service: z.union([z.number().int().positive(), z.string().min(1).max(255)], {
    error: 'must be a service id or name',
  }),
  arguments: z.array(z.string().max(65536)).max(1024).optional(),
  stdin: z
    .string()
    .max(8 * 1024 * 1024)
    .optional(),
  requirements: ServiceRequirements.optional(),
  /** Names of the namespace's secrets the process gets as environment variables. */
  secrets: SecretNames.optional(),
})

type CodeRun = z.infer<typeof CodeRun>
type WasmRun = z.infer<typeof WasmRun>
export type FunctionRun = z.infer<typeof FunctionRun>
export type ServiceRun = z.infer<typeof ServiceRun>
type StepRun =
  | ({ kind: 'code' } & CodeRun)
  | ({ kind: 'wasm' } & WasmRun)
  | ({ kind: 'function' } & FunctionRun)
  | ({ kind: 'service' } & ServiceRun)

/** Which kind of run an object is, by the field that only that kind has. */
function runSchema(value: unknown) {
  const has = (key: string) => typeof value === 'object' && value !== null && key in value
  if (has('function')) return { kind: 'function' as const, schema: FunctionRun }
  if (has('service')) return { kind: 'service' as const, schema: ServiceRun }
  if (has('wasm_cid') || (value as { runtime?: unknown } | null)?.runtime === 'wasm')
    return { kind: 'wasm' as const, schema: WasmRun }
  return { kind: 'code' as const, schema: CodeRun }
}

/** A step's `run`, parsed by the schema of its kind so errors name the right fields. */
const Run = z.unknown().transform((value, ctx): StepRun => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message:
        'must be an object: {"runtime", "code"}, {"runtime": "wasm", "wasm_cid"}, {"function"} or {"service"}',
    })
    return z.NEVER
  }
  const { kind, schema } = runSchema(value)
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.issues.push({ ...issue, input: value } as (typeof ctx.issues)[number])
    return z.NEVER
  }
  return { kind, ...parsed.data } as StepRun
})

const Retries = z.strictObject({
  limit: between(0, 10, 'an integer').int({ error: 'must be an integer' }),
  delay_seconds: between(0, 3600).optional(),
  /** `fixed` (the default), `exponential` (doubling), or the factor each retry's delay grows by. */
  backoff: z.union([z.enum(['fixed', 'exponential']), between(1, 10)]).optional(),
})
type Retries = z.infer<typeof Retries>

const Interface = z.enum(['STDOUT', 'STDERR', 'LOGS', 'MOUNT'])

/**
 * One native step's output feeding another's input, as the seed's interfaces connect: STDOUT,
 * STDERR or LOGS becomes the next step's STDIN; the files of an OUTPUT `path` become files in an
 * INPUT `mount` (by default the service's first).
 */
const Connection = z.strictObject({
  from: StepId,
  interface: Interface,
  /** MOUNT: the OUTPUT mount's path in `from` (default: every OUTPUT mount). */
  path: z.string().max(1024).optional(),
  to: StepId,
  as: z.enum(['STDIN', 'MOUNT']),
  /** MOUNT: the INPUT mount in `to` the files go to. */
  mount: z.string().max(1024).optional(),
})
export type Connection = z.infer<typeof Connection>

function stepSchema(config: OrchestratorConfig) {
  return z.strictObject({
    id: StepId,
    run: Run,
    needs: z.array(StepId).max(MAX_STEPS).optional(),
    /** The job's INPUT (an object; anything else arrives as `{"value": ...}`). */
    input: z.json().optional(),
    /** A list, or a reference to one (`"${steps.split.result}"`): one job per element. */
    foreach: z.union([z.string(), z.array(z.json()).max(MAX_FANOUT)]).optional(),
    retries: Retries.optional(),
    timeout_seconds: timeout(config),
    redundancy: between(1, 5, 'an integer').int({ error: 'must be an integer' }).optional(),
    /** `fail` (the default) fails the run; `continue` lets the rest go on. */
    on_failure: z.enum(['fail', 'continue']).optional(),
  })
}
export type Step = z.infer<ReturnType<typeof stepSchema>>

/** A workflow as `POST /api/workflows` and `PUT /api/workflows/{id}` take it. */
export function workflowDocument(config: OrchestratorConfig) {
  return z.strictObject({
    name: z.string({ error: 'must be a string' }).min(1).max(200),
    namespace: Namespace.optional(),
    description: z.string().max(10_000).optional(),
    steps: z
      .array(stepSchema(config), { error: 'must be an array of steps' })
      .min(1, { error: 'must hold at least one step' })
      .max(MAX_STEPS, { error: `must hold at most ${MAX_STEPS} steps` }),
    connections: z.array(Connection).max(MAX_STEPS).optional(),
  })
}
export type WorkflowDocument = z.infer<ReturnType<typeof workflowDocument>>

/** `POST /api/workflows/{id}/runs`: the run's input, and an id that makes starting it idempotent. */
export const RunStart = z.strictObject({
  input: z.json().optional(),
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be 1 to 100 letters, digits, _ and -' })
    .optional(),
})
