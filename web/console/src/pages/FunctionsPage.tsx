/** The namespace's deployed functions: path, runtime, current version, when deployed. */
import { api } from '../api'
import { Link } from '../link'
import { ErrorNote, Section, Table, Time } from '../ui'
import { useLoad } from '../use-load'

export function FunctionsPage({ namespace }: { namespace: string }) {
  const list = useLoad(() => api.functions(namespace), [namespace], 5000)
  const deployments = list.data?.deployments ?? []
  return (
    <Section title={`Functions of ${namespace}`}>
      <ErrorNote error={list.error} />
      <Table columns={['URL', 'Runtime', 'Version', 'Updated']} testId="functions">
        {deployments.map((d) => (
          <tr key={d.url}>
            <td>
              <Link to={`/functions/${d.user}${d.path === '/' ? '' : d.path}`} class="mono">
                {d.url}
              </Link>
            </td>
            <td>{d.runtime}</td>
            <td>v{d.version}</td>
            <td>
              <Time iso={d.updated_at} />
            </td>
          </tr>
        ))}
      </Table>
      {list.data && deployments.length === 0 && (
        <p class="muted">
          No functions yet: <code>zerverless deploy handler.js {namespace}/hello</code>, or{' '}
          <code>POST /api/deploy/{namespace}/hello</code>.
        </p>
      )}
    </Section>
  )
}
