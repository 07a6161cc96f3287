/** The OpenAPI entries of `/api/gitops`: applications synced from git, and the manifest's schema. */
import { z } from 'zod'
import { AppQuery, DeleteQuery, ListQuery, Registration, SyncQuery } from '../gitops/gitops-schemas'
import {
  ApplicationDeleted,
  ApplicationListSchema,
  ApplicationViewSchema,
  SyncedApplicationSchema,
  SyncOutcomeSchema,
} from '../gitops/gitops-view-schemas'
import { deniedDocs, tooLargeDoc } from './doc-responses'
import type { ResponseDoc, RouteDoc } from './route-doc'

const TAG = 'GitOps'
const NAME = { name: "the application's name (unique in its namespace)" }
const DENIED = deniedDocs('deploy')
const NO_APP: ResponseDoc = {
  description: 'no application of that name in the namespace (APPLICATION_NOT_FOUND)',
}
const NO_GIT: Record<number, ResponseDoc> = {
  501: { description: 'this host does not run git (the Workers host) (NOT_SUPPORTED)' },
}
const BAD_NAMESPACE: ResponseDoc = { description: '?namespace= is not a namespace name' }

/** The entries, by route. */
export const gitopsDocs = {
  schema: {
    summary: "The JSON Schema of a repository's zerverless.yaml manifest",
    tag: TAG,
    responses: {
      200: {
        description: 'a JSON Schema (draft 2020-12)',
        schema: z.record(z.string(), z.unknown()),
      },
    },
  },
  register: {
    summary: 'Register an application (a repository to deploy from) and sync it',
    description:
      'Replaces an application of the same name. A sync that fails (an unreachable repository, a ' +
      'bad manifest) still registers it, with `phase: Failed` and the reason in `sync.error`.',
    tag: TAG,
    body: Registration,
    responses: {
      201: {
        description: 'registered; `sync` says what the first sync did',
        schema: SyncedApplicationSchema,
      },
      400: { description: 'the body is not a registration (the field is named)' },
      ...DENIED,
      403: {
        description:
          "the token does not grant 'deploy' on the namespace, or on one the manifest deploys to; or a file:// repository from a caller who is not the admin",
      },
      413: tooLargeDoc,
      501: {
        description:
          'this host does not run git, or has no secrets key to keep `auth` or `webhookSecret` (NOT_SUPPORTED)',
      },
    },
  },
  list: {
    summary: 'List applications',
    tag: TAG,
    query: ListQuery,
    responses: {
      200: { description: 'the applications', schema: ApplicationListSchema },
      400: BAD_NAMESPACE,
      ...DENIED,
      403: {
        description:
          "no ?namespace= from a caller who is not the admin, or the token does not grant 'deploy' on it",
      },
      ...NO_GIT,
    },
  },
  get: {
    summary: 'Show an application: its source, policy, phase and what it deployed',
    tag: TAG,
    params: NAME,
    query: AppQuery,
    responses: {
      200: { description: 'the application', schema: ApplicationViewSchema },
      400: BAD_NAMESPACE,
      ...DENIED,
      404: NO_APP,
      ...NO_GIT,
    },
  },
  sync: {
    summary: 'Sync an application now (or see what a sync would change)',
    description:
      '`?dryRun=true` changes nothing and answers with the changes a sync would make; `?revision=` pins a commit (a rollback) until a sync without it.',
    tag: TAG,
    params: NAME,
    query: SyncQuery,
    responses: {
      200: {
        description: "the application with the sync's outcome; for a dry run, the outcome alone",
        schema: z.union([SyncedApplicationSchema, SyncOutcomeSchema]),
      },
      400: { description: 'namespace, dryRun or revision is not one it takes' },
      ...DENIED,
      403: {
        description:
          "the token does not grant 'deploy' on the namespace, or on one the manifest now deploys to",
      },
      404: NO_APP,
      ...NO_GIT,
    },
  },
  delete: {
    summary: 'Delete an application; with ?prune=true also what it deployed',
    tag: TAG,
    params: NAME,
    query: DeleteQuery,
    responses: {
      200: { description: 'deleted', schema: ApplicationDeleted },
      400: { description: 'namespace or prune is not one it takes' },
      ...DENIED,
      404: NO_APP,
      ...NO_GIT,
    },
  },
  webhook: {
    summary: "A forge's push: sync the application",
    description:
      'No token: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the ' +
      "application's webhook secret is the credential (GitHub's, Gitea's and Forgejo's push webhooks).",
    tag: TAG,
    params: NAME,
    query: AppQuery,
    body: {
      contentType: 'application/json',
      description: "the forge's push event (any body: it is signed, not read)",
    },
    responses: {
      200: { description: 'synced', schema: SyncedApplicationSchema },
      400: BAD_NAMESPACE,
      401: {
        description:
          'the signature is missing or wrong, the application has no webhook secret, or there is no such application (BAD_SIGNATURE)',
      },
      403: { description: 'the manifest now deploys to a namespace the application may not' },
      413: tooLargeDoc,
      ...NO_GIT,
    },
  },
} satisfies Record<string, RouteDoc>
