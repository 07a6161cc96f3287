/**
 * The namespace's cron triggers: schedule, time zone, what each starts, its next run and its
 * newest runs (each with its status, and a link to the job it started).
 */
import { api, type ApiError } from '../api'
import type { CronRun } from '../api-types'
import { useState } from 'preact/hooks'
import { Link } from '../link'
import { ErrorNote, Section, StatusBadge, Table, Time } from '../ui'
import { useLoad } from '../use-load'

/** `{"function": "/alice/hello"}` as `function /alice/hello`. */
const describeTarget = (target: Record<string, unknown>) =>
  Object.entries(target)
    .map(([kind, what]) => `${kind} ${typeof what === 'string' ? what : JSON.stringify(what)}`)
    .join(', ')

/** A run: its status, when it fired, what it started and how that went. */
function RunLine({ run }: { run: CronRun }) {
  return (
    <>
      <StatusBadge status={run.status} /> <Time iso={run.fired_at ?? run.tick} />
      {run.missed && <span class="small muted"> (missed)</span>}
      {run.job_id && (
        <>
          {' '}
          <Link to={`/jobs/${encodeURIComponent(run.job_id)}`} class="small">
            its job
          </Link>
        </>
      )}
      {run.workflow_run_id && <span class="mono small"> run {run.workflow_run_id}</span>}
      {run.function_status != null && <span class="small"> HTTP {run.function_status}</span>}
      {run.error && <span class="small error-text"> {run.error.message}</span>}
    </>
  )
}

/** The newest run, and the ones before it folded away. */
function Runs({ runs }: { runs: CronRun[] }) {
  const [newest, ...older] = runs
  if (!newest) return <span class="muted small">not run yet</span>
  return (
    <div data-testid="cron-runs">
      <RunLine run={newest} />
      {older.length > 0 && (
        <details>
          <summary class="small">{older.length} before</summary>
          <ul class="plain">
            {older.map((run) => (
              <li key={run.id}>
                <RunLine run={run} />
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}

export function CronPage({ namespace }: { namespace: string }) {
  const list = useLoad(() => api.crons(namespace), [namespace], 10_000)
  const [error, setError] = useState<ApiError>()
  return (
    <Section title={`Cron triggers of ${namespace}`}>
      <ErrorNote error={list.error ?? error} />
      <Table
        columns={[
          'Name',
          'Schedule',
          'Target',
          'Next run',
          'Last runs',
          { label: 'Actions', hidden: true },
        ]}
      >
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
              <Runs runs={cron.runs} />
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
      </Table>
      {list.data?.crons.length === 0 && (
        <p class="muted">
          No triggers: create one with PUT /api/cron/{namespace}/{'{name}'}.
        </p>
      )}
    </Section>
  )
}
