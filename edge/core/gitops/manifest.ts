/**
 * `zerverless.yaml`, the manifest a GitOps application's repository holds: the original's fields
 * (functions, static files) plus workflows, crons and the secrets it expects. One zod schema is
 * both the parser and, through `z.toJSONSchema`, the published JSON Schema.
 */
import { z } from 'zod'
import { Namespace } from '../../../shared/protocol/job'
import type { OrchestratorConfig } from '../config'
import { cronBody, CronName, scheduleProblem, timezoneProblem } from '../cron/cron-schemas'
import { ExecutorField, UntrustedDbField } from '../jobs/executor-policy'

const API_VERSION = 'zerverless.io/v1'
export const MANIFEST_FILE = 'zerverless.yaml'
/** How many of each a manifest may hold: a sync reads and compares every one. */
const MAX_FUNCTIONS = 200
const MAX_WORKFLOWS = 100
const MAX_CRONS = 200

/** A path inside the repository: relative, no `..`, no backslashes (checked again when read). */
const RepoPath = z
  .string({ error: 'must be a path inside the repository' })
  .min(1)
  .max(1024)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[^\\\0]+$/, {
    error: 'must be a relative path inside the repository, without "." or ".." segments',
  })

/** A secret's name, as the secrets API takes it (and a guest reads it as SECRETS.NAME). */
const SecretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
  error: 'must be 1 to 64 letters, digits and _, not starting with a digit',
})

const FunctionEntry = z
  .strictObject({
    /** Where it answers under the namespace: "/hello" answers at /{namespace}/hello. */
    path: z
      .string({ error: 'must be a path such as "/hello"' })
      .regex(/^\/.*$/, { error: 'must start with "/", such as "/hello"' })
      .max(1024),
    runtime: z.enum(['js', 'javascript', 'lua', 'python'], {
      error: 'must be one of js, lua, python',
    }),
    code: z.string().min(1, { error: 'must not be empty' }).optional(),
    /** The code's file, relative to the manifest's directory. */
    codeFile: RepoPath.optional(),
    timeout_seconds: z
      .number({ error: 'must be a number of seconds between 1 and 300' })
      .min(1, { error: 'must be between 1 and 300' })
      .max(300, { error: 'must be between 1 and 300' })
      .optional(),
    executor: ExecutorField.optional(),
    untrusted_db: UntrustedDbField.optional(),
    /** Secrets the function reads as SECRETS.NAME (names only; the values live in the secrets API). */
    secrets: z.array(SecretName).max(64).optional(),
  })
  .superRefine((entry, ctx) => {
    if ((entry.code === undefined) === (entry.codeFile === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['code'],
        message: 'give exactly one of code and codeFile',
      })
  })

const WorkflowEntry = z.strictObject({
  /** A workflow document (as POST /api/workflows takes it), YAML or JSON. */
  file: RepoPath,
})

/** The manifest as a repository holds it; `config` bounds what crons' jobs may ask for. */
export function manifestSchema(config: OrchestratorConfig) {
  // The cron API's own body (its fields and its checks) with the trigger's name beside them.
  const CronEntry = z
    .strictObject({ name: CronName, ...cronBody(config).shape })
    .superRefine((entry, ctx) => {
      const zone = timezoneProblem(entry.timezone)
      if (zone) return ctx.addIssue({ code: 'custom', path: ['timezone'], message: zone })
      const problem = scheduleProblem(entry.schedule, entry.timezone)
      if (problem) ctx.addIssue({ code: 'custom', path: ['schedule'], message: problem })
    })
  return z.strictObject({
    apiVersion: z.literal(API_VERSION, { error: `must be "${API_VERSION}"` }),
    kind: z.literal('Application', { error: 'must be "Application"' }),
    metadata: z.strictObject({
      name: z.string().min(1).max(200),
      /** Where it deploys; the application's own namespace when left out. */
      namespace: Namespace.optional(),
    }),
    spec: z.strictObject({
      /** Informational: the application's registration says where the repository is. */
      source: z
        .strictObject({
          repoURL: z.string().max(2048).optional(),
          branch: z.string().max(255).optional(),
          subdir: z.string().max(1024).optional(),
        })
        .optional(),
      functions: z.array(FunctionEntry).max(MAX_FUNCTIONS).optional(),
      /** Files under `dir` are copied into the namespace's storage, keeping their relative paths. */
      static: z.strictObject({ dir: RepoPath }).optional(),
      workflows: z.array(WorkflowEntry).max(MAX_WORKFLOWS).optional(),
      crons: z.array(CronEntry).max(MAX_CRONS).optional(),
      /** Names of secrets that must exist in the namespace before anything is applied. */
      secrets: z.array(SecretName).max(256).optional(),
    }),
  })
}

export type Manifest = z.output<ReturnType<typeof manifestSchema>>

/** The JSON Schema of the manifest (what editors validate `zerverless.yaml` with). */
export function manifestJsonSchema(config: OrchestratorConfig): Record<string, unknown> {
  const schema = z.toJSONSchema(manifestSchema(config), { io: 'input', unrepresentable: 'any' })
  return { ...schema, title: 'zerverless.yaml (zerverless.io/v1 Application)' }
}
