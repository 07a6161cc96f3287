import { useState } from 'preact/hooks'
import type { VolunteerSnapshot } from '../volunteer/browser-volunteer'
import { cores, parseNamespaces, type VolunteerSettings } from '../volunteer/settings'

interface Props {
  snapshot: VolunteerSnapshot
  onChange: (patch: Partial<VolunteerSettings>) => void
}

/** How much to give: threads, pause, namespaces, and whether to keep going in the background. */
export function Controls({ snapshot, onChange }: Props) {
  const { settings } = snapshot
  const [namespaces, setNamespaces] = useState(settings.namespaces.join(', '))
  const [problem, setProblem] = useState<string | undefined>()
  const choices = Array.from({ length: cores() }, (_, i) => i + 1)

  const applyNamespaces = () => {
    const parsed = parseNamespaces(namespaces)
    if (!parsed.ok) {
      setProblem(`“${parsed.bad}” is not a namespace name (letters, digits, - and _)`)
      return
    }
    setProblem(undefined)
    onChange({ namespaces: parsed.namespaces })
  }

  return (
    <section class="card controls" aria-label="What to give">
      <h2>What to give</h2>
      <div class="row">
        <button
          type="button"
          class={settings.paused ? 'primary' : ''}
          data-testid="pause"
          onClick={() => onChange({ paused: !settings.paused })}
        >
          {settings.paused ? 'Resume' : 'Pause'}
        </button>
        <label>
          Threads{' '}
          <select
            data-testid="threads"
            value={String(settings.threads)}
            onChange={(e) => onChange({ threads: Number(e.currentTarget.value) })}
          >
            {choices.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>{' '}
          <span class="muted small">of {cores()} cores</span>
        </label>
      </div>
      <label class="check">
        <input
          type="checkbox"
          data-testid="background"
          checked={settings.background}
          onChange={(e) => onChange({ background: e.currentTarget.checked })}
        />{' '}
        Keep running while this tab is in the background
      </label>
      <form
        class="namespaces"
        onSubmit={(e) => {
          e.preventDefault()
          applyNamespaces()
        }}
      >
        <label for="namespaces">Only run jobs for these namespaces (empty: anyone’s)</label>
        <div class="row">
          <input
            id="namespaces"
            data-testid="namespaces"
            value={namespaces}
            placeholder="alice, bob"
            onInput={(e) => setNamespaces(e.currentTarget.value)}
          />
          <button type="submit">Apply</button>
        </div>
        {problem && (
          <p class="problem" role="alert">
            {problem}
          </p>
        )}
      </form>
    </section>
  )
}
