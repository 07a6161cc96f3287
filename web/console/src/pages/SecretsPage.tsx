/**
 * The namespace's secrets by name only: the API never shows a value back, and neither does the
 * console. A value can be put (created or replaced) and a secret deleted.
 */
import { useState } from 'preact/hooks'
import { api, type ApiError } from '../api'
import { ErrorNote, Section, Time } from '../ui'
import { NamedItems } from '../named-items'
import { useLoad } from '../use-load'

export function SecretsPage({ namespace }: { namespace: string }) {
  const list = useLoad(() => api.secrets(namespace), [namespace])
  const [name, setName] = useState('')
  const [value, setValue] = useState('')
  const [error, setError] = useState<ApiError>()
  const updated = new Map(list.data?.secrets.map((s) => [s.name, s.updated_at]))

  const put = async (event: Event) => {
    event.preventDefault()
    try {
      await api.secretPut(namespace, name, value)
      setValue('')
      setError(undefined)
      list.reload()
    } catch (err) {
      setError(err as ApiError)
    }
  }

  return (
    <>
      <Section title={`Secrets of ${namespace}`}>
        <ErrorNote error={list.error} />
        <NamedItems
          names={list.data?.secrets.map((secret) => secret.name)}
          testId="secrets"
          empty="No secrets."
          onDelete={(name) => api.secretDelete(namespace, name).then(list.reload, setError)}
          extra={(name) => (
            <span class="small muted">
              updated <Time iso={updated.get(name)} />
            </span>
          )}
        />
      </Section>
      <Section title="Put a secret">
        <form class="stack" onSubmit={put}>
          <label for="secret-name">Name</label>
          <input
            id="secret-name"
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <label for="secret-value">Value</label>
          <input
            id="secret-value"
            type="password"
            autoComplete="off"
            required
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
          <button type="submit">Put</button>
          <ErrorNote error={error} />
        </form>
      </Section>
    </>
  )
}
