/** The namespace's key-value store: list keys page by page, view, put (JSON) and delete one. */
import { useState } from 'preact/hooks'
import { api, type ApiError } from '../api'
import { ErrorNote, Json, parseJsonInput, Section } from '../ui'
import { NamedItems, Pager, useCursors } from '../named-items'
import { useLoad } from '../use-load'

export function KvPage({ namespace }: { namespace: string }) {
  const pages = useCursors()
  const [selected, setSelected] = useState<string>()
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const [error, setError] = useState<ApiError | string>()
  const keys = useLoad(() => api.kvKeys(namespace, pages.cursor), [namespace, pages.cursor])
  const entry = useLoad(
    () => (selected ? api.kvGet(namespace, selected) : Promise.resolve(undefined)),
    [namespace, selected],
  )

  const put = async (event: Event) => {
    event.preventDefault()
    const parsed = parseJsonInput(value, 'Value')
    if (parsed.error || parsed.value === undefined)
      return setError(parsed.error ?? 'Value is empty')
    try {
      await api.kvPut(namespace, key, parsed.value)
      setError(undefined)
      setSelected(key)
      keys.reload()
      entry.reload()
    } catch (err) {
      setError(err as ApiError)
    }
  }

  const remove = async (name: string) => {
    try {
      await api.kvDelete(namespace, name)
      if (selected === name) setSelected(undefined)
      keys.reload()
    } catch (err) {
      setError(err as ApiError)
    }
  }

  return (
    <>
      <Section title={`KV of ${namespace}`}>
        <ErrorNote error={keys.error} />
        <NamedItems
          names={keys.data?.keys}
          testId="kv-keys"
          empty="No keys."
          selected={selected}
          onSelect={setSelected}
          onDelete={remove}
        />
        <Pager at={pages} nextCursor={keys.data?.cursor} />
        {selected && (
          <>
            <h3 class="mono">{selected}</h3>
            <ErrorNote error={entry.error} />
            {entry.data && <Json value={entry.data.value} />}
          </>
        )}
      </Section>
      <Section title="Put a value">
        <form class="stack" onSubmit={put}>
          <label for="kv-key">Key</label>
          <input id="kv-key" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
          <label for="kv-value">Value (JSON)</label>
          <textarea
            id="kv-value"
            rows={4}
            class="mono"
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
