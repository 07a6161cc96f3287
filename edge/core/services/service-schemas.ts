/** Request bodies of /api/services/standalone: the seed's fields, parsed strictly. */
import { SecretNames } from '../secrets/secret-names'
import { z } from 'zod'
import { Namespace } from '../../../shared/protocol/job'
import { ServiceRequirements } from '../../../shared/protocol/system-capabilities'

/** Backslashes and control characters (NUL included) have no place in a path. */
function hasControlOrBackslash(text: string): boolean {
  for (const ch of text) if (ch === '\\' || ch.charCodeAt(0) < 0x20 || ch === '\x7f') return true
  return false
}

/** A service name becomes a directory name on runners and the orchestrator. */
const ServiceName = z
  .string({ error: 'must be a service name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: 'must be 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit',
  })

/** `/data/input` style: becomes a directory under the job's mounts; no ".." and no oddities. */
const MountPath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) => {
      const parts = p.replace(/^\/+/, '').split('/')
      return parts.every(
        (part) => part !== '' && part !== '.' && part !== '..' && !hasControlOrBackslash(part),
      )
    },
    { error: 'must be a path like /data/input without "..", "." or empty segments' },
  )

const Interface = z
  .strictObject({
    interface_type: z.enum(['STDIN', 'STDOUT', 'STDERR', 'LOGS', 'MOUNT']),
    path: z.string().max(1024).optional(),
    mount_function: z.enum(['INPUT', 'OUTPUT', 'BOTH']).optional(),
    description: z.string().max(1024).optional(),
  })
  .superRefine((i, ctx) => {
    if (i.interface_type !== 'MOUNT') return
    if (!i.mount_function)
      ctx.addIssue({ code: 'custom', path: ['mount_function'], message: 'is required for MOUNT' })
    const path = MountPath.safeParse(i.path ?? '')
    if (!path.success)
      ctx.addIssue({
        code: 'custom',
        path: ['path'],
        message: 'must be a path like /data/input without "..", "." or empty segments',
      })
  })

const EnvName = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/** What every kind of service shares (from-local, from-git, and an upload's `service`). */
const ServiceSettings = {
  description: z.string().max(1024).optional(),
  namespace: Namespace.optional(),
  arguments: z.array(z.string().max(65536)).max(1024).optional(),
  working_directory: z.string().max(4096).optional(),
  environment_variables: z
    .record(
      z.string().regex(EnvName, { error: 'names must be letters, digits and _' }),
      z.string().max(65536),
    )
    .optional(),
  /** Names of the namespace's secrets every run gets as environment variables. */
  secrets: SecretNames.optional(),
  inherit_environment: z.boolean().optional(),
  timeout_seconds: z.number().int().min(1).max(86_400).optional(),
  run_as_user: z
    .string()
    .max(128)
    .regex(/^$|^[A-Za-z0-9_][A-Za-z0-9._-]*(:[A-Za-z0-9_][A-Za-z0-9._-]*)?$/, {
      error: "must be 'user:group', 'uid:gid' or 'user'",
    })
    .optional(),
  capabilities: ServiceRequirements.optional(),
  custom_interfaces: z.array(Interface).max(64).optional(),
}

export const FromLocalBody = z.strictObject({
  service_name: ServiceName,
  executable_path: z
    .string({ error: 'must be the absolute path of the executable on the runner' })
    .max(4096)
    .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), {
      error: 'must be an absolute path',
    }),
  peer_id: z.string().max(64).optional(),
  ...ServiceSettings,
})
export type FromLocalBody = z.infer<typeof FromLocalBody>

export const FromGitBody = z.strictObject({
  service_name: ServiceName,
  repo_url: z
    .string()
    .max(2048)
    .refine((url) => /^(https?:\/\/|ssh:\/\/|git@|file:\/\/|\/)/.test(url), {
      error: 'must be an http(s), ssh, git@ or file URL, or an absolute path on the runner',
    }),
  branch: z
    .string()
    .max(256)
    .regex(/^[A-Za-z0-9._/-]*$/, { error: 'must be a branch name' })
    .optional(),
  executable_path: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      error: 'must be a path inside the repository (relative, without "..")',
    }),
  build_command: z.string().max(8192).optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(4096).optional(),
  peer_id: z.string().max(64).optional(),
  ...ServiceSettings,
})
export type FromGitBody = z.infer<typeof FromGitBody>

/**
 * `PUT /api/services/standalone/{id}`: a from-local or from-git body (git when it has `repo_url`)
 * whose `service_name` may be left out; the service keeps its id and name.
 */
export const UpdateFromLocalBody = FromLocalBody.extend({ service_name: ServiceName.optional() })
export type UpdateFromLocalBody = z.infer<typeof UpdateFromLocalBody>
export const UpdateFromGitBody = FromGitBody.extend({ service_name: ServiceName.optional() })
export type UpdateFromGitBody = z.infer<typeof UpdateFromGitBody>
export type UpdateBody =
  ({ source: 'local' } & UpdateFromLocalBody) | ({ source: 'git' } & UpdateFromGitBody)

/** An upload's optional `service` settings, checked when the upload completes. */
export const UploadSettings = z.strictObject(ServiceSettings)
export type UploadSettings = z.infer<typeof UploadSettings>

/** A plain file name for an INPUT mount: no directories, nothing odd. */
const InputName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => n !== '.' && n !== '..' && !n.includes('/') && !hasControlOrBackslash(n), {
    error: 'must be a plain file name',
  })

const JobId = z.string().min(1).max(128)
/** An output's name as `GET /api/jobs/{id}/outputs` lists it, e.g. `mounts/out/a.txt`. */
const OutputName = z.string().min(1).max(1024)

/**
 * A file for an INPUT mount (`mount` defaults to the service's first): inline (`name`, `data` in
 * base64), one output of an earlier job (`from_job`, `output`; `name` defaults to the output's
 * last segment), or every output of one under a prefix (`from_job`, `outputs`), keeping the path
 * below it. One object with rules rather than a union, so a mistake is named precisely.
 */
const InputFile = z
  .strictObject({
    mount: z.string().max(1024).optional(),
    name: InputName.optional(),
    data: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64' })
      .optional(),
    from_job: JobId.optional(),
    output: OutputName.optional(),
    outputs: OutputName.optional(),
  })
  .superRefine((f, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message })
    if (f.data !== undefined) {
      if (f.from_job !== undefined) issue('from_job', 'cannot be given with data')
      if (f.name === undefined) issue('name', 'is required with data')
      return
    }
    if (f.from_job === undefined)
      issue('from_job', 'is required: give data (with name) or from_job')
    else if ((f.output === undefined) === (f.outputs === undefined))
      issue('output', 'is required with from_job: give output (one file) or outputs (a prefix)')
    else if (f.outputs !== undefined && f.name !== undefined)
      issue('name', 'cannot be given with outputs: the names are the paths below the prefix')
  })
  .transform((f): RunInputFile => {
    const mount = f.mount === undefined ? {} : { mount: f.mount }
    if (f.data !== undefined) return { ...mount, name: f.name ?? '', data: f.data }
    if (f.outputs !== undefined) return { ...mount, from_job: f.from_job ?? '', outputs: f.outputs }
    return {
      ...mount,
      ...(f.name !== undefined && { name: f.name }),
      from_job: f.from_job ?? '',
      output: f.output ?? '',
    }
  })

/** A run's input file, one of the three kinds `InputFile` accepts. */
export type RunInputFile =
  | { mount?: string; name: string; data: string }
  | { mount?: string; name?: string; from_job: string; output: string }
  | { mount?: string; from_job: string; outputs: string }

export const RunBody = z
  .strictObject({
    /** Replaces the service's arguments for this run. */
    arguments: z.array(z.string().max(65536)).max(1024).optional(),
    stdin: z
      .string()
      .max(8 * 1024 * 1024)
      .optional(),
    /** Standard input from an earlier job's output; fetched by the runner, never inlined. */
    stdin_from: z.strictObject({ job: JobId, output: OutputName }).optional(),
    input_files: z.array(InputFile).max(256).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
    /** Merged over the service's `capabilities` for this run (the stricter of each wins). */
    requirements: ServiceRequirements.optional(),
    /** Names of the namespace's secrets the process gets as environment variables. */
    secrets: SecretNames.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.stdin !== undefined && b.stdin_from !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['stdin_from'],
        message: 'cannot be given with stdin: choose one',
      })
  })
export type RunBody = z.infer<typeof RunBody>
