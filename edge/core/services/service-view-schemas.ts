/**
 * The shapes of the JSON service-record.ts builds (the seed's `service` and `details`) and of the
 * standalone-service routes' answers around them, for the OpenAPI document and its tests.
 */
import { z } from 'zod'
import { ServiceRequirements } from '../../../shared/protocol/system-capabilities'

const iso = z.iso.datetime()
const success = z.literal(true)

/** A service (see `toServiceView`). */
const ServiceViewSchema = z.strictObject({
  id: z.int(),
  service_type: z.literal('STANDALONE'),
  type: z.literal('standalone'),
  name: z.string(),
  description: z.string(),
  namespace: z.string(),
  status: z.enum(['ACTIVE', 'INACTIVE']),
  version: z.int().describe('1 when created; each update in place adds one'),
  peer_id: z.string().nullable().describe('the runner holding the executable; null for uploads'),
  capabilities: ServiceRequirements.extend({
    executable_hash: z.string().describe("the executable's SHA-256"),
    source: z.enum(['local', 'upload', 'git']),
  }).describe('what a runner must offer, with where the executable came from'),
  interfaces: z.array(
    z.strictObject({
      id: z.int(),
      service_id: z.int(),
      interface_type: z.enum(['STDIN', 'STDOUT', 'STDERR', 'LOGS', 'MOUNT']),
      path: z.string(),
      mount_function: z.enum(['INPUT', 'OUTPUT', 'BOTH']).nullable(),
      description: z.string(),
      created_at: iso,
    }),
  ),
  created_at: iso,
  updated_at: iso,
})

/** How a service runs (see `toDetailsView`): `arguments` and `environment_variables` are JSON text. */
const DetailsViewSchema = z.strictObject({
  id: z.int(),
  service_id: z.int(),
  version: z.int(),
  executable_path: z.string(),
  arguments: z.string().describe("a JSON array of strings, as text (the seed's shape)"),
  working_directory: z.string(),
  environment_variables: z.string().describe('a JSON object of strings, as text'),
  secrets: z.array(z.string()).optional(),
  timeout_seconds: z.int(),
  run_as_user: z.string(),
  source: z.enum(['local', 'upload', 'git']),
  git_repo_url: z.string(),
  git_commit_hash: z.string(),
  upload_hash: z.string(),
  executable_hash: z.string(),
  files: z.array(z.strictObject({ path: z.string(), size: z.int(), sha256: z.string() })),
})

/** `POST …/from-local` and `…/from-git`. */
export const ServiceCreated = z.strictObject({
  success,
  service: ServiceViewSchema,
  suggested_interfaces: z
    .array(
      z.strictObject({
        interface_type: z.string(),
        description: z.string(),
        path: z.string(),
        mount_function: z.string(),
      }),
    )
    .describe("the streams every process has, offered for the service's interfaces"),
})

/** `GET /api/services/standalone`. */
export const ServiceList = z.strictObject({
  success,
  services: z.array(ServiceViewSchema),
  total: z.int().min(0),
})

/** `GET …/{id}/details`. */
export const ServiceDetails = z.strictObject({
  success,
  service: ServiceViewSchema,
  details: DetailsViewSchema,
})

/** `PUT …/{id}`. */
export const ServiceUpdated = z.strictObject({ success, service: ServiceViewSchema })

/** `DELETE …/{id}`. */
export const ServiceDeleted = z.strictObject({ success, message: z.string() })

/** `POST …/{id}/run`: the job that runs it, as `GET /api/jobs/{id}` shows it. */
export const ServiceRunStarted = z.strictObject({
  success,
  job: z
    .looseObject({ id: z.string(), namespace: z.string(), status: z.string() })
    .describe('the job, as GET /api/jobs/{id} shows it'),
})
