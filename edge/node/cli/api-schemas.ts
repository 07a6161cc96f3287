/**
 * The shapes the CLI reads from the API, parsed as they arrive. Loose on purpose: a field the
 * server adds later passes through to `--json` untouched; only what the CLI prints is checked.
 */
import { z } from 'zod'

/** The API's error body (`{"error", "code"}`, with `field` or `details` sometimes). */
export const ApiErrorBody = z.looseObject({ error: z.string(), code: z.string() })

const JobErrorView = z.looseObject({ code: z.string().optional(), message: z.string() })

export const JobView = z.looseObject({
  id: z.string(),
  job_type: z.string(),
  namespace: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']),
  result: z.json().optional(),
  output: z.string().nullable().optional(),
  stderr: z.string().nullable().optional(),
  error: JobErrorView.nullable().optional(),
  batch_id: z.string().nullable().optional(),
  index: z.number().nullable().optional(),
  attempts: z.number().optional(),
  created_at: z.string(),
  duration_ms: z.number().nullable().optional(),
  progress: z
    .looseObject({ fraction: z.number(), message: z.string().nullable().optional() })
    .nullable()
    .optional(),
})
export type JobView = z.infer<typeof JobView>

export const JobList = z.looseObject({ jobs: z.array(JobView), total: z.number() })
export type JobList = z.infer<typeof JobList>

export const BatchSubmitted = z.looseObject({
  batch_id: z.string(),
  count: z.number(),
  job_ids: z.array(z.string()),
})

export const BatchCounts = z.looseObject({
  batch_id: z.string(),
  total: z.number(),
  done: z.boolean(),
  pending: z.number().optional(),
  running: z.number().optional(),
  completed: z.number().optional(),
  failed: z.number().optional(),
  cancelled: z.number().optional(),
})
export type BatchCounts = z.infer<typeof BatchCounts>

export const Deployment = z.looseObject({
  user: z.string(),
  path: z.string(),
  url: z.string(),
  runtime: z.string(),
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  versions: z
    .array(z.looseObject({ version: z.number(), runtime: z.string(), created_at: z.string() }))
    .optional(),
})
export type Deployment = z.infer<typeof Deployment>

export const DeploymentList = z.looseObject({ deployments: z.array(Deployment), total: z.number() })

export const Invocation = z.looseObject({
  time: z.string(),
  status: z.number(),
  duration_ms: z.number(),
  version: z.number(),
  error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
})
export type Invocation = z.infer<typeof Invocation>

export const FunctionLogs = z.looseObject({
  lines: z.array(z.looseObject({ time: z.string(), line: z.string() })),
  invocations: z.array(Invocation),
})

export const KvEntry = z.looseObject({ key: z.string(), value: z.json(), exists: z.boolean() })
export const KvPut = z.looseObject({ key: z.string() })
export const KvList = z.looseObject({
  keys: z.array(z.string()),
  count: z.number(),
  cursor: z.string().nullable().optional(),
})

export const StoredFile = z.looseObject({
  namespace: z.string(),
  path: z.string(),
  size: z.number(),
  etag: z.string().optional(),
  content_type: z.string().optional(),
  visibility: z.string().optional(),
})
export const FileList = z.looseObject({
  files: z.array(z.string()),
  private: z.array(z.string()).optional(),
  count: z.number(),
  cursor: z.string().nullable().optional(),
})

export const TokenView = z.looseObject({
  id: z.string(),
  name: z.string(),
  namespaces: z.array(z.string()),
  rights: z.array(z.string()),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked: z.boolean(),
  token: z.string().optional(),
})
export const TokenList = z.looseObject({ tokens: z.array(TokenView), total: z.number() })

export const SecretView = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
})
export const SecretList = z.looseObject({ secrets: z.array(SecretView), count: z.number() })

/** Later issues' resources: the CLI prints them as they come, keyed by a few known fields. */
export const AnyObject = z.looseObject({})
export type AnyObject = z.infer<typeof AnyObject>
