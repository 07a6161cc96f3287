/**
 * Who runs the work: volunteers (browser tabs, workers, runners) with their runtimes, load and
 * record, and runner peers with their machines' capabilities. Both lists are for operators.
 */
import { api } from '../api'
import { ErrorNote, Json, Section, Table, Time } from '../ui'
import { useLoad } from '../use-load'

export function FleetPage() {
  const volunteers = useLoad(() => api.volunteers(), [], 3000)
  const peers = useLoad(() => api.peers(), [], 5000)
  return (
    <>
      <Section title="Volunteers">
        <ErrorNote error={volunteers.error} />
        <Table
          columns={[
            'Volunteer',
            'Kind',
            'Runtimes',
            'Load',
            'Done / failed',
            { label: 'Since', wide: true },
          ]}
          testId="volunteers"
        >
          {volunteers.data?.volunteers.map((v) => (
            <tr key={v.id}>
              <td class="mono" title={v.id}>
                {v.agent?.name ?? v.id.slice(0, 8)}
              </td>
              <td>
                {v.agent?.kind ?? 'unknown'}
                {v.trusted ? ', trusted' : ''}
                {v.state !== 'active' ? ` (${v.state})` : ''}
              </td>
              <td>
                {v.runtimes.join(', ')}
                {v.namespaces && <div class="small muted">only {v.namespaces.join(', ')}</div>}
              </td>
              <td>
                <meter
                  min={0}
                  max={Math.max(1, v.concurrency)}
                  value={v.running}
                  aria-label="running of slots"
                />{' '}
                {v.running}/{v.concurrency}
              </td>
              <td>
                {v.completed} / {v.failed}
              </td>
              <td class="wide-only">
                <Time iso={v.connected_at} />
              </td>
            </tr>
          ))}
        </Table>
        {volunteers.data?.volunteers.length === 0 && (
          <p class="muted">
            No volunteers connected: open /volunteer/ in a tab, or run zerverless --worker.
          </p>
        )}
      </Section>
      <Section title="Runners">
        <ErrorNote error={peers.error} />
        {peers.data?.peers.length === 0 && (
          <p class="muted">
            No runner peers: start one with npx zerverless-runner --orchestrator &lt;url&gt;.
          </p>
        )}
        <ul class="plain">
          {peers.data?.peers.map((p) => (
            <li key={p.volunteer_id} class="card inner">
              <strong>{p.name ?? p.peer_id ?? p.volunteer_id}</strong>{' '}
              <span class="muted small">
                {p.state}, {p.native ? 'native' : 'sandboxed only'}, {p.running}/{p.concurrency}{' '}
                running, {p.services} services
              </span>
              <div class="small">{p.runtimes.join(', ')}</div>
              {p.capabilities && (
                <details>
                  <summary>Capabilities</summary>
                  <Json value={p.capabilities} />
                </details>
              )}
            </li>
          ))}
        </ul>
      </Section>
    </>
  )
}
