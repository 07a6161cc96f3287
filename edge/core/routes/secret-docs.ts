/**
 * The OpenAPI entries of `/api/secrets`, and the shapes its answers have: names and times, never
 * a value (secrets are write-only).
 */
import { z } from 'zod'
import { BAD_NAMESPACE, deniedDocs, tooLargeDoc } from './doc-responses'
import type { RouteDoc } from './route-doc'

/** One secret as the API shows it (see `view` in secret-routes.ts). */
const SecretView = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime().describe('when the value was last replaced'),
})

/** `GET /api/secrets/{ns}`. */
const SecretList = z.strictObject({
  namespace: z.string(),
  secrets: z.array(SecretView),
  count: z.int().min(0),
})

/** The body of `PUT /api/secrets/{ns}/{name}`. */
export const PutSecretBody = z.strictObject({
  value: z.string({ error: 'must be a string (the secret value)' }),
})

const TAG = 'Secrets'
const NS = { ns: 'the namespace the secrets belong to' }
const NAMED = { ...NS, name: 'the secret\'s name: 1-64 letters, digits or "_", like API_KEY' }
const UNAVAILABLE = {
  503: { description: 'the host was started without a secrets key (SECRETS_UNAVAILABLE)' },
}
const BAD_NAME = { description: `${BAD_NAMESPACE}, or the name is not a secret name` }

/** The entries, by route. */
export const secretDocs = {
  list: {
    summary: "List a namespace's secrets (names and times, no values)",
    tag: TAG,
    params: NS,
    responses: {
      200: { description: 'the secrets, by name', schema: SecretList },
      400: { description: BAD_NAMESPACE },
      ...deniedDocs('secrets'),
      ...UNAVAILABLE,
    },
  },
  get: {
    summary: 'Show one secret (name and times, never its value)',
    tag: TAG,
    params: NAMED,
    responses: {
      200: { description: 'the secret', schema: SecretView },
      400: BAD_NAME,
      ...deniedDocs('secrets'),
      404: { description: 'no secret of that name in the namespace (SECRET_NOT_FOUND)' },
      ...UNAVAILABLE,
    },
  },
  put: {
    summary: 'Set a secret',
    description:
      'Stores the value sealed; jobs, functions, workflow steps and services that name it in ' +
      '`secrets` read it. The value is never shown again.',
    tag: TAG,
    params: NAMED,
    body: PutSecretBody,
    responses: {
      200: { description: 'an existing secret was replaced', schema: SecretView },
      201: { description: 'a new secret was stored', schema: SecretView },
      400: { description: `${BAD_NAME.description}, or the body is not {"value": "<string>"}` },
      ...deniedDocs('secrets'),
      413: tooLargeDoc,
      ...UNAVAILABLE,
    },
  },
  delete: {
    summary: 'Delete a secret',
    tag: TAG,
    params: NAMED,
    responses: {
      204: { description: 'deleted' },
      400: BAD_NAME,
      ...deniedDocs('secrets'),
      404: { description: 'no secret of that name in the namespace (SECRET_NOT_FOUND)' },
      ...UNAVAILABLE,
    },
  },
} satisfies Record<string, RouteDoc>
