/**
 * One job, polled until it finishes: status, progress, attempts, quorum, output, result, error
 * and a native job's output files; a job still queued or running can be cancelled.
 */
import { useState } from 'preact/hooks'
import { api, type ApiError } from '../api'
import type { Job } from '../api-types'
import { DownloadButton } from '../download-button'
import { Link } from '../link'
import { ErrorNote, Json, ProgressBar, Section, StatusBadge, Time } from '../ui'
import { useLoad } from '../use-load'

const finished = (job: Job) => ['completed', 'failed', 'cancelled'].includes(job.status)

export function JobDetail({ id }: { id: string }) {
  const job = useLoad(() => api.job(id), [id], 1000, finished)
  const [cancelError, setCancelError] = useState<ApiError>()
  const data = job.data

  return (
    <Section
      title={`Job ${id}`}
      actions={
        data &&
        !finished(data) && (
          <button class="danger" onClick={() => api.cancelJob(id).then(job.reload, setCancelError)}>
            Cancel
          </button>
        )
      }
    >
      <ErrorNote error={job.error ?? cancelError} />
      {data && (
        <>
          <dl class="facts" data-testid="job-facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={data.status} />
            </dd>
            <dt>Runtime</dt>
            <dd>{data.job_type}</dd>
            <dt>Namespace</dt>
            <dd>{data.namespace}</dd>
            <dt>Attempts</dt>
            <dd>
              {data.attempts} of {data.max_retries + 1}
            </dd>
            {data.quorum && (
              <>
                <dt>Quorum</dt>
                <dd>
                  {data.quorum.agreeing} agreeing of {data.quorum.answers} answers,{' '}
                  {data.quorum.needed} needed
                  {data.quorum.running ? `, ${data.quorum.running} running` : ''}
                </dd>
              </>
            )}
            {data.batch_id && (
              <>
                <dt>Batch</dt>
                <dd>
                  <Link to={`/batches/${data.batch_id}`} class="mono">
                    {data.batch_id.slice(0, 8)}
                  </Link>{' '}
                  input #{data.index ?? '?'}
                </dd>
              </>
            )}
            <dt>Volunteer</dt>
            <dd class="mono">{data.volunteer_id ?? '—'}</dd>
            <dt>Created</dt>
            <dd>
              <Time iso={data.created_at} />
            </dd>
            <dt>Took</dt>
            <dd>{data.duration_ms === null ? '—' : `${data.duration_ms} ms`}</dd>
          </dl>
          {data.progress && (
            <div class="stack">
              <ProgressBar fraction={data.progress.fraction ?? 0} label="Job progress" />
              {data.progress.message && <p class="muted">{data.progress.message}</p>}
            </div>
          )}
          {data.error && (
            <>
              <h3>Error</h3>
              <pre class="code error-text" data-testid="job-error">
                {data.error.code}: {data.error.message}
                {data.error.line ? ` (line ${data.error.line})` : ''}
              </pre>
            </>
          )}
          {data.status === 'completed' && (
            <>
              <h3>Result</h3>
              <div data-testid="job-result">
                <Json value={data.result} />
              </div>
            </>
          )}
          <h3>Output</h3>
          <pre class="code" data-testid="job-output">
            {data.output || '(nothing printed)'}
          </pre>
          {data.outputs && data.outputs.length > 0 && (
            <>
              <h3>Output files</h3>
              <ul class="plain list" data-testid="job-outputs">
                {data.outputs.map((file) => (
                  <li key={file.name} class="row">
                    <span class="mono">{file.name}</span>
                    <span class="small muted grow">{file.size} bytes</span>
                    <DownloadButton name={file.name} fetch={() => api.jobOutput(id, file.name)} />
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Input</h3>
          <Json value={data.input_data} />
          {data.code !== undefined && (
            <details>
              <summary>Code</summary>
              <pre class="code">{data.code}</pre>
            </details>
          )}
        </>
      )}
    </Section>
  )
}
