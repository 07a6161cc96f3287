import type { RunningJob } from '../volunteer/volunteer-view'

export function RunningJobs({ jobs }: { jobs: RunningJob[] }) {
  return (
    <section class="card" aria-label="Running now">
      <h2>Running now</h2>
      {jobs.length === 0 ? (
        <p class="muted">Waiting for work.</p>
      ) : (
        <ul class="jobs" data-testid="running">
          {jobs.map((job) => (
            <li key={job.id}>
              <span class={`tag ${job.type}`}>{job.type}</span> <code>{job.id.slice(0, 8)}</code>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
