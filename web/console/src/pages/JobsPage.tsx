/**
 * Jobs of a namespace, newest first, filtered by status and refreshed every two seconds; a job
 * can also be opened by its id (any namespace the token covers).
 */
import { useState } from 'preact/hooks'
import { api } from '../api'
import type { JobPage } from '../api-types'
import { Link } from '../link'
import { navigate } from '../router'
import { ErrorNote, Section, StatusBadge, Table, Time } from '../ui'
import { useLoad } from '../use-load'

const STATUSES = ['', 'pending', 'running', 'completed', 'failed', 'cancelled']

export function JobsPage({ namespace }: { namespace: string }) {
  const [status, setStatus] = useState('')
  const [cursors, setCursors] = useState<string[]>([])
  const [lookup, setLookup] = useState('')
  const cursor = cursors.at(-1)
  const page = useLoad<JobPage>(
    () => api.jobs({ namespace, status, limit: 25, cursor }),
    [namespace, status, cursor],
    2000,
  )

  return (
    <>
      <Section title={`Jobs in ${namespace}`}>
        <form class="row" onSubmit={(e) => e.preventDefault()}>
          <label>
            Status{' '}
            <select
              value={status}
              onChange={(e) => {
                setStatus(e.currentTarget.value)
                setCursors([])
              }}
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s || 'any'}
                </option>
              ))}
            </select>
          </label>
        </form>
        <ErrorNote error={page.error} />
        <Table
          columns={['Job', 'Runtime', 'Status', { label: 'Created', wide: true }, 'Took']}
          testId="jobs"
        >
          {page.data?.jobs.map((job) => (
            <tr key={job.id}>
              <td>
                <Link to={`/jobs/${job.id}`} class="mono">
                  {job.id.slice(0, 8)}
                </Link>
                {job.batch_id && (
                  <>
                    {' '}
                    <Link to={`/batches/${job.batch_id}`} class="small muted">
                      batch #{job.index ?? '?'}
                    </Link>
                  </>
                )}
              </td>
              <td>{job.job_type}</td>
              <td>
                <StatusBadge status={job.status} />
              </td>
              <td class="wide-only">
                <Time iso={job.created_at} />
              </td>
              <td>{job.duration_ms === null ? '—' : `${job.duration_ms} ms`}</td>
            </tr>
          ))}
        </Table>
        {page.data && page.data.jobs.length === 0 && <p class="muted">No jobs here yet.</p>}
        <div class="row">
          {cursors.length > 0 && (
            <button onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
          )}
          {page.data?.next_cursor && (
            <button onClick={() => setCursors([...cursors, page.data!.next_cursor!])}>Older</button>
          )}
        </div>
      </Section>
      <Section title="Open a job by id">
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault()
            if (lookup.trim()) navigate(`/jobs/${encodeURIComponent(lookup.trim())}`)
          }}
        >
          <label class="grow">
            Job id <input value={lookup} onInput={(e) => setLookup(e.currentTarget.value)} />
          </label>
          <button type="submit">Open</button>
        </form>
      </Section>
    </>
  )
}
