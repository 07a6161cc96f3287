/** What `/api/db` (db-routes.ts) and `/api/jobs/{id}/outputs` (job-output-routes.ts) answer. */
import { z } from 'zod'

export const KvEntry = z.strictObject({
  key: z.string(),
  value: z.json(),
  exists: z.literal(true),
  expires_at: z.string().optional(),
})

/** A missing key: the seed's shape (`exists: false`) and the API's error fields together. */
export const KvMissing = z.strictObject({
  key: z.string(),
  value: z.null(),
  exists: z.literal(false),
  error: z.string(),
  code: z.literal('KEY_NOT_FOUND'),
})

export const KvStored = z.strictObject({ status: z.literal('ok'), key: z.string() })

export const KvKeys = z.strictObject({
  keys: z.array(z.string()),
  count: z.int(),
  cursor: z.string().nullable().describe('Pass as ?cursor= for the next page'),
})

export const OutputFileView = z.strictObject({
  name: z.string(),
  attempt: z.int(),
  size: z.int(),
  sha256: z.string(),
  created_at: z.string(),
  url: z.string().optional(),
})

export const OutputList = z.strictObject({
  job_id: z.string(),
  outputs: z.array(OutputFileView),
  total: z.int(),
})
