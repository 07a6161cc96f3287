/**
 * One function: its versions with a rollback, its invocation rate and latency plotted from the
 * invocation log, and that log call by call (status, duration, version, error).
 */
import { useMemo, useState } from 'preact/hooks'
import { api, type ApiError } from '../api'
import { invocationSeries } from '../invocation-series'
import { ErrorNote, Section, Table, Time } from '../ui'
import { useLoad } from '../use-load'
import { InvocationPlots } from './InvocationPlots'

export function FunctionDetail({ user, path }: { user: string; path: string }) {
  const fn = useLoad(() => api.function(user, path), [user, path])
  const logs = useLoad(() => api.functionLogs(user, path), [user, path], 3000)
  const [rollbackError, setRollbackError] = useState<ApiError>()
  const [busy, setBusy] = useState(false)
  const data = fn.data
  const versions = data?.versions ?? []

  const rollback = async () => {
    setBusy(true)
    setRollbackError(undefined)
    try {
      await api.rollback(user, path)
      fn.reload()
    } catch (err) {
      setRollbackError(err as ApiError)
    } finally {
      setBusy(false)
    }
  }

  const invocations = useMemo(() => logs.data?.invocations ?? [], [logs.data])
  const series = useMemo(() => invocationSeries(invocations), [invocations])
  return (
    <>
      <Section
        title={`Function /${user}${path === '/' ? '' : path}`}
        actions={
          <button
            onClick={rollback}
            disabled={busy || versions.length < 2}
            title="Make the previous version current again"
          >
            Roll back
          </button>
        }
      >
        <ErrorNote error={fn.error ?? rollbackError} />
        {data && (
          <>
            <p>
              <span data-testid="current-version">Current version v{data.version}</span>,{' '}
              {data.runtime}, timeout {data.timeout_seconds} s. Call it at <code>{data.url}</code>.
            </p>
            <Table columns={['Version', 'Runtime', 'Deployed']} testId="versions">
              {versions.map((v) => (
                <tr key={v.version} aria-current={v.version === data.version ? 'true' : undefined}>
                  <td>
                    v{v.version}
                    {v.version === data.version && <strong> (current)</strong>}
                  </td>
                  <td>{v.runtime}</td>
                  <td>
                    <Time iso={v.created_at} />
                  </td>
                </tr>
              ))}
            </Table>
            {data.code !== undefined && (
              <details>
                <summary>Code of v{data.version}</summary>
                <pre class="code">{data.code}</pre>
              </details>
            )}
          </>
        )}
      </Section>
      <Section title="Invocations">
        <ErrorNote error={logs.error} />
        {invocations.length === 0 ? (
          <p class="muted">No calls yet: the plots fill in as the function is called.</p>
        ) : (
          <InvocationPlots series={series} />
        )}
        <Table
          columns={['Time', 'Status', 'Duration', { label: 'Version', wide: true }, 'Error']}
          testId="invocations"
        >
          {invocations.slice(0, 100).map((call, i) => (
            <tr key={`${call.time}-${i}`}>
              <td>
                <Time iso={call.time} />
              </td>
              <td class={call.status >= 400 ? 'bad' : 'good'}>{call.status}</td>
              <td>{call.duration_ms} ms</td>
              <td class="wide-only">v{call.version}</td>
              <td class="small">
                {call.error
                  ? `${call.error.code}: ${call.error.message}${call.error.line ? ` (line ${call.error.line})` : ''}`
                  : ''}
              </td>
            </tr>
          ))}
        </Table>
        {logs.data && logs.data.lines.length > 0 && (
          <details>
            <summary>Printed lines ({logs.data.lines.length})</summary>
            <pre class="code">{logs.data.lines.map((l) => l.line).join('\n')}</pre>
          </details>
        )}
      </Section>
    </>
  )
}
