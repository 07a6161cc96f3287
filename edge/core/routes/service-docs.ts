/**
 * The queries `/api/services/standalone` parses and its OpenAPI entries (tag Services): the seed's
 * routes for standalone services, updating one in place, running one, and a runner's file fetch.
 */
import { z } from 'zod'
import {
  FromGitBody,
  FromLocalBody,
  RunBody,
  UpdateFromGitBody,
  UpdateFromLocalBody,
} from '../services/service-schemas'
import {
  ServiceCreated,
  ServiceDeleted,
  ServiceDetails,
  ServiceList,
  ServiceRunStarted,
  ServiceUpdated,
} from '../services/service-view-schemas'
import { deniedDocs, tooLargeDoc } from './doc-responses'
import type { ResponseDoc, RouteDoc } from './route-doc'

/** `GET /api/services/standalone?namespace=`. */
export const ServiceListQuery = z.object({
  namespace: z
    .string()
    .optional()
    .describe("whose services; without it, every namespace's (the admin only)"),
})

/** `GET /api/services/standalone/{id}/files/{path}?job=`. */
export const ServiceFileQuery = z.object({
  job: z.string().optional().describe('the job the runner is running (its token is the Bearer)'),
})

const TAG = 'Services'
const ID = { id: "the service's id (a whole number)" }
const DENIED = deniedDocs('services', "the service's namespace")
const BAD_ID: ResponseDoc = { description: 'the id is not a whole number (INVALID_REQUEST)' }
const NO_SERVICE: ResponseDoc = { description: 'no service with that id (SERVICE_NOT_FOUND)' }
const REGISTER: Record<number, ResponseDoc> = {
  ...DENIED,
  403: {
    description:
      "the token does not grant 'services' on the namespace; or the runner's owner does not allow that path (PATH_NOT_ALLOWED) or this namespace (RUNNER_NOT_ALLOWED)",
  },
  404: { description: 'peer_id names no connected runner (PEER_NOT_FOUND)' },
  409: {
    description:
      'a service of that name exists (SERVICE_EXISTS), or the runner named does not run native executables (NATIVE_DISABLED)',
  },
  413: tooLargeDoc,
  503: { description: 'no runner is connected that may hold it (NO_RUNNERS)' },
}
const CREATED = 'created; the runner checked and hashed the executable'

/** The entries, by route. */
export const serviceDocs = {
  fromLocal: {
    summary: "Create a service from an executable on a runner's disk",
    tag: TAG,
    body: FromLocalBody,
    responses: {
      201: { description: CREATED, schema: ServiceCreated },
      400: {
        description:
          'the body is not a from-local service (the field is named), the runner found no executable there (INVALID_EXECUTABLE), several runners and no peer_id (PEER_REQUIRED), or a secret it names is not set',
      },
      ...REGISTER,
    },
  },
  fromGit: {
    summary: 'Create a service from a git repository a runner clones (and builds)',
    tag: TAG,
    body: FromGitBody,
    responses: {
      201: { description: CREATED, schema: ServiceCreated },
      400: {
        description:
          'the body is not a from-git service (the field is named), or the clone, build or executable failed on the runner (GIT_SETUP_FAILED, naming repo_url, build_command or executable_path)',
      },
      ...REGISTER,
    },
  },
  list: {
    summary: 'List standalone services',
    tag: TAG,
    query: ServiceListQuery,
    responses: {
      200: { description: 'the services', schema: ServiceList },
      ...deniedDocs('services'),
      403: {
        description:
          "no ?namespace= from a caller who is not the admin, or the token does not grant 'services' on it",
      },
    },
  },
  details: {
    summary: 'Show a service and how it runs',
    tag: TAG,
    params: ID,
    responses: {
      200: { description: 'the service and its details', schema: ServiceDetails },
      400: BAD_ID,
      ...DENIED,
      404: NO_SERVICE,
    },
  },
  update: {
    summary: 'Update a service in place: same id, next version',
    description:
      'A from-local or a from-git body (from-git when it has `repo_url`); `service_name` may be left out. Runs already started keep the version they started with.',
    tag: TAG,
    params: ID,
    body: z.union([UpdateFromGitBody, UpdateFromLocalBody]),
    responses: {
      200: { description: 'the service at its new version', schema: ServiceUpdated },
      400: {
        description:
          'the id is not a whole number, the body is not a service (the field is named), or the runner could not register the new executable',
      },
      ...REGISTER,
      404: { description: 'no service with that id, or peer_id names no connected runner' },
      409: {
        description:
          'an uploaded service (update it by uploading: SERVICE_IS_UPLOADED), an update already going on (UPDATE_IN_PROGRESS), another service has the name, or the runner does not run native executables',
      },
    },
  },
  delete: {
    summary: 'Delete a service',
    tag: TAG,
    params: ID,
    responses: {
      200: { description: 'deleted', schema: ServiceDeleted },
      400: BAD_ID,
      ...DENIED,
      404: NO_SERVICE,
    },
  },
  run: {
    summary: 'Run a service: a native job on a runner that holds it',
    description:
      "An empty body runs it as configured; the body may replace its arguments, give stdin (or take it from an earlier job's output), input files and secrets.",
    tag: TAG,
    params: ID,
    body: RunBody,
    responses: {
      202: { description: 'the job (Location: its URL)', schema: ServiceRunStarted },
      400: {
        description:
          'the id is not a whole number, or the body is not a run (the field is named; a secret it names is not set)',
      },
      ...DENIED,
      404: NO_SERVICE,
      409: {
        description:
          'the service is not active (SERVICE_INACTIVE), or no connected runner can run it (NO_COMPATIBLE_RUNNER)',
      },
      413: { description: 'the body is larger than a module body may be (PAYLOAD_TOO_LARGE)' },
      503: {
        description:
          'the runner holding it is offline (RUNNER_OFFLINE), or no runner is connected (NO_RUNNERS)',
      },
    },
  },
  file: {
    summary: 'A file of an uploaded service, for the runner running one of its jobs',
    description:
      "No API token: the Bearer is the job's own token, given to the runner with the job.",
    tag: TAG,
    params: { ...ID, path: "the file's path in the upload" },
    query: ServiceFileQuery,
    responses: {
      200: { description: "the file's bytes", contentType: 'application/octet-stream' },
      400: { description: 'the id is not a whole number, or the path is not a file path' },
      401: {
        description:
          'the Bearer is not the token of a job of this service now running (UNAUTHORIZED)',
      },
      404: { description: 'no service with that id, or no such file in it' },
    },
  },
} satisfies Record<string, RouteDoc>
