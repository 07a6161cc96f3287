/** The jobs running on this tab now: each with its elapsed time and the progress its guest reported. */
import { useEffect, useState } from 'preact/hooks'
import type { RunningJob } from '../volunteer/volunteer-view'

export function RunningJobs({ jobs }: { jobs: RunningJob[] }) {
  const now = useClock(jobs.length > 0)
  return (
    <section class="card" aria-label="Running now">
      <h2>Running now</h2>
      {jobs.length === 0 ? (
        <p class="muted">Waiting for work.</p>
      ) : (
        <ul class="jobs" data-testid="running">
          {jobs.map((job) => (
            <li key={job.id}>
              <span class={`tag ${job.type}`}>{job.type}</span> <code>{job.id.slice(0, 8)}</code>{' '}
              <span class="muted small" data-testid="elapsed">
                {elapsed(now - job.since)}
              </span>
              {job.progress && (
                <span class="job-progress" data-testid="progress">
                  <progress max={1} value={job.progress.fraction} />{' '}
                  {Math.round(job.progress.fraction * 100)}%
                  {job.progress.message && ` · ${job.progress.message}`}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** The time now, ticking each second while `ticking` (elapsed times need no finer grain). */
function useClock(ticking: boolean): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    if (!ticking) return
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [ticking])
  return now
}

function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`
}
