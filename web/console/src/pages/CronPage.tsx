/** The namespace's cron triggers: schedule, time zone, what each starts, and its next run. */
import { api, type ApiError } from '../api'
import { useState } from 'preact/hooks'
import { ErrorNote, Section, Time } from '../ui'
import { useLoad } from '../use-load'

/** `{"function": "/alice/hello"}` as `function /alice/hello`. */
const describeTarget = (target: Record<string, unknown>) =>
  Object.entries(target)
    .map(([kind, what]) => `${kind} ${typeof what === 'string' ? what : JSON.stringify(what)}`)
    .join(', ')

export function CronPage({ namespace }: { namespace: string }) {
  const list = useLoad(() => api.crons(namespace), [namespace], 10_000)
  const [error, setError] = useState<ApiError>()
  return (
    <Section title={`Cron triggers of ${namespace}`}>
      <ErrorNote error={list.error ?? error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Schedule</th>
              <th scope="col">Target</th>
              <th scope="col">Next run</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data?.crons.map((cron) => (
              <tr key={cron.name}>
                <td class="mono">{cron.name}</td>
                <td>
                  <code>{cron.schedule}</code> <span class="small muted">{cron.timezone}</span>
                </td>
                <td class="mono small">{describeTarget(cron.target)}</td>
                <td>
                  <Time iso={cron.next_run} />
                </td>
                <td>
                  <button
                    class="danger small"
                    aria-label={`Delete ${cron.name}`}
                    onClick={() => api.cronDelete(namespace, cron.name).then(list.reload, setError)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data?.crons.length === 0 && (
        <p class="muted">
          No triggers: create one with PUT /api/cron/{namespace}/{'{name}'}.
        </p>
      )}
    </Section>
  )
}
