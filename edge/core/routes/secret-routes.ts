/**
 * `/api/secrets/{ns}/{name}`: write-only secrets. PUT {"value"} (201 new, 200 replaced), GET one
 * or the namespace's list, DELETE; answers carry names and times, never a value. Each route needs
 * the `secrets` right on the namespace. A host without a secrets key answers 503 saying so.
 */
import type { Context } from 'hono'
import { guardNamespace } from '../auth/access'
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'
import { HttpError, badRequest } from '../http-error'
import { namespaceAt } from '../rooms/owner'
import { SECRET_NAME_PATTERN } from '../secrets/secret-names'
import { secretsUnavailable, type SecretInfo, type SecretService } from '../secrets/secret-service'
import { requestSegments } from './path-segments'
import { parseBody } from './request-body'
import type { RouteDoc } from './route-doc'
import { RouteTable } from './route-table'
import { PutSecretBody, secretDocs } from './secret-docs'

export interface SecretRouteDeps {
  /** Undefined when the host has no secrets key. */
  secrets: SecretService | undefined
  durable: () => Promise<void>
}

/** A namespace's secrets live in its room. */
const owned = { owner: namespaceAt(2) }
const doc = (d: RouteDoc) => ({ ...owned, doc: d })
const SLASH = { hidden: 'the same listing as GET /api/secrets/{ns}' }

const view = (namespace: string, s: SecretInfo) => ({
  namespace,
  name: s.name,
  created_at: new Date(s.created_at).toISOString(),
  updated_at: new Date(s.updated_at).toISOString(),
})

const listing = (c: Context, { secrets }: SecretRouteDeps) => {
  const ns = namespaceOf(requestSegments(c))
  const list = service(secrets).list(ns)
  return c.json({ namespace: ns, secrets: list.map((s) => view(ns, s)), count: list.length })
}

export const secretRoutes = new RouteTable<SecretRouteDeps>()
  .use('/api/secrets/*', guardNamespace('secrets'))
  .get('/api/secrets/:ns', doc(secretDocs.list), listing)
  .get('/api/secrets/:ns/', { ...owned, doc: SLASH }, listing)
  .get('/api/secrets/:ns/:name', doc(secretDocs.get), (c, { secrets }) => {
    const { ns, name } = params(requestSegments(c))
    const found = service(secrets).info(ns, name)
    if (!found) throw notFound(ns, name)
    return c.json(view(ns, found))
  })
  .put('/api/secrets/:ns/:name', doc(secretDocs.put), async (c, { secrets, durable }) => {
    const { ns, name } = params(requestSegments(c))
    const box = service(secrets)
    const body = await parseBody(c, PutSecretBody)
    const { created, secret } = await box.put(ns, name, body.value)
    await durable()
    return c.json(view(ns, secret), created ? 201 : 200)
  })
  .delete('/api/secrets/:ns/:name', doc(secretDocs.delete), async (c, { secrets, durable }) => {
    const { ns, name } = params(requestSegments(c))
    if (!service(secrets).delete(ns, name)) throw notFound(ns, name)
    await durable()
    return c.body(null, 204)
  })
  .all(
    '/api/secrets/:ns/:name/*',
    { ...owned, doc: { hidden: 'a catch-all that answers 400: a secret name has no "/"' } },
    () => {
      throw badRequest('a secret name is a single path segment (no "/")', 'name')
    },
  )

function service(secrets: SecretService | undefined): SecretService {
  if (!secrets) throw secretsUnavailable()
  return secrets
}

const notFound = (ns: string, name: string) =>
  new HttpError(404, 'SECRET_NOT_FOUND', `no secret '${name}' in namespace '${ns}'`)

function namespaceOf(segments: string[]): string {
  const ns = segments[2] ?? ''
  if (!NAMESPACE_PATTERN.test(ns))
    throw badRequest(
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    )
  return ns
}

/** `/api/secrets/{ns}/{name}`, each segment decoded once. */
function params(segments: string[]): { ns: string; name: string } {
  const ns = namespaceOf(segments)
  const name = segments[3] ?? ''
  if (!SECRET_NAME_PATTERN.test(name))
    throw badRequest(
      'a secret name must be 1-64 letters, digits or "_", not starting with a digit (like API_KEY)',
      'name',
    )
  return { ns, name }
}
