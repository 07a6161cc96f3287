/**
 * Workflows of the namespace; one opened lists its runs, and a run is drawn as the workflow's DAG
 * with each step's state, polled until the run ends.
 */
import { api } from '../api'
import type { Workflow } from '../api-types'
import { Link } from '../link'
import { ErrorNote, Json, Section, StatusBadge, Time } from '../ui'
import { useLoad } from '../use-load'
import { WorkflowDag } from './WorkflowDag'

const ended = (status: string) => ['completed', 'failed', 'cancelled'].includes(status)

function RunView({ workflow, runId }: { workflow: Workflow; runId: string }) {
  const run = useLoad(
    () => api.workflowRun(runId),
    [runId],
    1500,
    (r) => ended(r.status),
  )
  return (
    <Section title={`Run ${runId}`}>
      <ErrorNote error={run.error} />
      {run.data && (
        <>
          <p>
            <StatusBadge status={run.data.status} /> started <Time iso={run.data.created_at} />
          </p>
          <WorkflowDag steps={workflow.steps ?? []} run={run.data.steps ?? []} />
          <ul class="plain">
            {(run.data.steps ?? []).map((step) => (
              <li key={step.id}>
                <strong class="mono">{step.id}</strong> <StatusBadge status={step.status} />{' '}
                <span class="small muted">
                  {step.attempts} attempt{step.attempts === 1 ? '' : 's'}
                  {step.duration_ms != null ? `, ${step.duration_ms} ms` : ''}
                </span>
                {step.error && (
                  <pre class="code error-text">
                    {step.error.code}: {step.error.message}
                  </pre>
                )}
                {step.status === 'completed' && step.result !== null && (
                  <details>
                    <summary>Result</summary>
                    <Json value={step.result} />
                  </details>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  )
}

function WorkflowView({ id, runId }: { id: string; runId?: string | undefined }) {
  const workflow = useLoad(() => api.workflow(id), [id])
  const runs = useLoad(() => api.workflowRuns(id), [id], 3000)
  const latest = runId ?? runs.data?.runs[0]?.id
  return (
    <>
      <Section title={`Workflow ${workflow.data?.name ?? id}`}>
        <ErrorNote error={workflow.error ?? runs.error} />
        <ul class="plain list">
          {runs.data?.runs.map((run) => (
            <li key={run.id} class="row">
              <Link to={`/workflows/${id}/${run.id}`} class="mono">
                {run.id.slice(0, 12)}
              </Link>
              <StatusBadge status={run.status} />
              <Time iso={run.created_at} />
            </li>
          ))}
        </ul>
        {runs.data?.runs.length === 0 && <p class="muted">No runs yet.</p>}
      </Section>
      {workflow.data && latest && <RunView workflow={workflow.data} runId={latest} />}
    </>
  )
}

export function WorkflowsPage(props: {
  namespace: string
  open?: string | undefined
  run?: string | undefined
}) {
  const list = useLoad(() => api.workflows(props.namespace), [props.namespace])
  if (props.open) return <WorkflowView id={props.open} runId={props.run} />
  return (
    <Section title={`Workflows of ${props.namespace}`}>
      <ErrorNote error={list.error} />
      <ul class="plain list">
        {list.data?.workflows.map((wf) => (
          <li key={wf.id} class="row">
            <Link to={`/workflows/${wf.id}`}>{wf.name}</Link>
            <span class="small muted">v{wf.version}</span>
          </li>
        ))}
      </ul>
      {list.data?.workflows.length === 0 && <p class="muted">No workflows in this namespace.</p>}
    </Section>
  )
}
