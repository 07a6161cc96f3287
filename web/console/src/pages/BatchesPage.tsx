/**
 * Batches with a progress bar each: the ones this tab submitted and the ones the namespace's
 * recent jobs belong to. One batch opened shows its jobs in input order.
 */
import { useState } from 'preact/hooks'
import { api } from '../api'
import type { Batch } from '../api-types'
import { Link } from '../link'
import { navigate } from '../router'
import { rememberedBatches } from '../session'
import { ErrorNote, ProgressBar, Section, StatusBadge, Table } from '../ui'
import { useLoad } from '../use-load'

const fractionDone = (b: Batch) => (b.total ? (b.completed + b.failed + b.cancelled) / b.total : 0)

function BatchRow({ id }: { id: string }) {
  const batch = useLoad(
    () => api.batch(id),
    [id],
    2000,
    (b) => b.done,
  )
  return (
    <li class="batch" data-testid="batch">
      <div class="row">
        <Link to={`/batches/${id}`} class="mono">
          {id.slice(0, 8)}
        </Link>
        {batch.data && (
          <span class="small muted">
            {batch.data.completed} completed, {batch.data.failed} failed, {batch.data.running}{' '}
            running, {batch.data.pending} pending of {batch.data.total}
          </span>
        )}
      </div>
      {batch.data && (
        <ProgressBar fraction={fractionDone(batch.data)} label={`Batch ${id} progress`} />
      )}
      <ErrorNote error={batch.error} />
    </li>
  )
}

function BatchJobs({ id, namespace }: { id: string; namespace: string }) {
  const jobs = useLoad(() => api.jobs({ namespace, batch: id, limit: 1000 }), [id, namespace], 2000)
  const mine = (jobs.data?.jobs ?? [])
    .filter((job) => job.batch_id === id)
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
  return (
    <>
      <Table columns={['Input', 'Job', 'Status', 'Result']}>
        {mine.map((job) => (
          <tr key={job.id}>
            <td>#{job.index ?? '?'}</td>
            <td>
              <Link to={`/jobs/${job.id}`} class="mono">
                {job.id.slice(0, 8)}
              </Link>
            </td>
            <td>
              <StatusBadge status={job.status} />
            </td>
            <td class="mono">
              {job.status === 'completed' ? JSON.stringify(job.result) : (job.error?.message ?? '')}
            </td>
          </tr>
        ))}
      </Table>
      <ErrorNote error={jobs.error} />
    </>
  )
}

export function BatchesPage({ namespace, open }: { namespace: string; open?: string | undefined }) {
  const [lookup, setLookup] = useState('')
  const recent = useLoad(() => api.jobs({ namespace, limit: 100 }), [namespace])
  const fromJobs = (recent.data?.jobs ?? []).flatMap((job) => (job.batch_id ? [job.batch_id] : []))
  const ids = [...new Set([...(open ? [open] : []), ...rememberedBatches(), ...fromJobs])]

  return (
    <>
      {open && (
        <Section title={`Batch ${open}`}>
          <BatchRow id={open} />
          <BatchJobs id={open} namespace={namespace} />
        </Section>
      )}
      <Section title="Batches">
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault()
            if (lookup.trim()) navigate(`/batches/${encodeURIComponent(lookup.trim())}`)
          }}
        >
          <label class="grow">
            Batch id <input value={lookup} onInput={(e) => setLookup(e.currentTarget.value)} />
          </label>
          <button type="submit">Open</button>
        </form>
        {ids.length === 0 && <p class="muted">No batches yet: submit one from the Submit page.</p>}
        <ul class="plain">
          {ids
            .filter((id) => id !== open)
            .map((id) => (
              <BatchRow key={id} id={id} />
            ))}
        </ul>
      </Section>
    </>
  )
}
