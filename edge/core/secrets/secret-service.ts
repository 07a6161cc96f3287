/**
 * A namespace's secrets: written sealed, listed without values, and opened only for work being
 * handed to an executor that may have them (see jobs/secret-delivery.ts). Values never leave here
 * except through `open`.
 */
import type { JobError } from '../../../shared/protocol/job'
import { HttpError } from '../http-error'
import { QuotaExceededError } from '../limits/quota-error'
import type { SecretBox } from './secret-box'
import type { SecretInfo, SecretStore } from './secret-store'

/** The largest value, in UTF-8 bytes. */
const MAX_SECRET_BYTES = 64 * 1024
/** How many secrets one namespace may keep. */
const MAX_SECRETS_PER_NAMESPACE = 100

export type { SecretInfo } from './secret-store'

/** Secret values by name, as one attempt of some work received them. */
export type SecretValues = Readonly<Record<string, string>>

export type Opened = { ok: true; values: SecretValues } | { ok: false; error: JobError }

/** The AAD a value is sealed under: moving it to another name or namespace breaks it. */
const context = (namespace: string, name: string) => `${namespace}/${name}`

export class SecretService {
  constructor(
    private readonly store: SecretStore,
    private readonly box: SecretBox,
    private readonly maxPerNamespace = MAX_SECRETS_PER_NAMESPACE,
  ) {}

  /** Seals and keeps a value; `created` is false when it replaced one. */
  async put(
    namespace: string,
    name: string,
    value: string,
    now = Date.now(),
  ): Promise<{ created: boolean; secret: SecretInfo }> {
    if (new TextEncoder().encode(value).length > MAX_SECRET_BYTES)
      throw new HttpError(413, 'VALUE_TOO_LARGE', `value is over ${MAX_SECRET_BYTES} bytes`, {
        field: 'value',
      })
    const sealed = await this.box.seal(value, context(namespace, name))
    // Checked after the await, right before the write: nothing else runs in between.
    if (!this.store.info(namespace, name) && this.store.count(namespace) >= this.maxPerNamespace)
      throw new QuotaExceededError(
        'secrets',
        this.maxPerNamespace,
        `namespace '${namespace}' may keep at most ${this.maxPerNamespace} secrets: delete one first`,
      )
    const created = this.store.put(namespace, name, sealed, now)
    const secret = this.store.info(namespace, name) ?? { name, created_at: now, updated_at: now }
    return { created, secret }
  }

  list(namespace: string): SecretInfo[] {
    return this.store.list(namespace)
  }

  info(namespace: string, name: string): SecretInfo | undefined {
    return this.store.info(namespace, name)
  }

  delete(namespace: string, name: string): boolean {
    return this.store.delete(namespace, name)
  }

  /** The names set in a namespace (what GitOps checks a manifest's `spec.secrets` against). */
  names(namespace: string): string[] {
    return this.store.list(namespace).map((s) => s.name)
  }

  /** Which of `names` the namespace does not have, in the order given. */
  missing(namespace: string, names: readonly string[]): string[] {
    const have = new Set(this.names(namespace))
    return names.filter((name) => !have.has(name))
  }

  /** Opens the values of `names` for one hand-over; a missing or unreadable one fails it, named. */
  async open(namespace: string, names: readonly string[]): Promise<Opened> {
    const sealed = this.store.sealed(namespace, names)
    const missing = names.filter((name) => !sealed.has(name))
    if (missing.length > 0)
      return failed(
        'SECRET_NOT_FOUND',
        `${listOf(missing)} no longer set in namespace '${namespace}'`,
      )
    const values: Record<string, string> = {}
    const unreadable: string[] = []
    for (const [name, text] of sealed) {
      const value = await this.box.open(text, context(namespace, name))
      if (value === undefined) unreadable.push(name)
      else values[name] = value
    }
    if (unreadable.length > 0)
      return failed(
        'SECRETS_UNAVAILABLE',
        `${listOf(unreadable)} cannot be opened with this orchestrator's secrets key (was the key changed?): set ${unreadable.length === 1 ? 'it' : 'them'} again`,
      )
    return { ok: true, values }
  }
}

/** What checking declarations needs: which names a namespace lacks. */
export type SecretNamesSource = Pick<SecretService, 'missing'>

/** Refuses work that declares secrets its namespace lacks: 400 SECRET_NOT_FOUND, naming them. */
export function checkDeclared(
  secrets: SecretNamesSource | undefined,
  namespace: string,
  names: readonly string[] | undefined,
): void {
  if (!names || names.length === 0) return
  if (!secrets) throw secretsUnavailable()
  const missing = secrets.missing(namespace, names)
  if (missing.length > 0)
    throw new HttpError(
      400,
      'SECRET_NOT_FOUND',
      `${listOf(missing)} not set in namespace '${namespace}': PUT /api/secrets/${namespace}/{name} first`,
      { field: 'secrets', missing },
    )
}

/** 503: this host was started without a secrets key. */
export const secretsUnavailable = () =>
  new HttpError(
    503,
    'SECRETS_UNAVAILABLE',
    'this orchestrator has no secrets key: on Workers run `wrangler secret put SECRETS_KEY` (32 bytes as 64 hex digits: openssl rand -hex 32)',
  )

const failed = (code: JobError['code'], message: string): Opened => ({
  ok: false,
  error: { code, message },
})

const listOf = (names: readonly string[]) =>
  names.length === 1
    ? `secret '${names[0]}' is`
    : `secrets ${names.map((n) => `'${n}'`).join(', ')} are`
