import type { VolunteerSnapshot } from '../volunteer/browser-volunteer'

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** This session's work, and what this browser has given in all. */
export function Numbers({ snapshot }: { snapshot: VolunteerSnapshot }) {
  const { view, totals } = snapshot
  return (
    <section class="card numbers" aria-label="What this tab did">
      <h2>This session</h2>
      <dl>
        <div>
          <dt>Running now</dt>
          <dd data-testid="running-count">{view.running.length}</dd>
        </div>
        <div>
          <dt>Jobs done</dt>
          <dd data-testid="completed">{view.completed}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd data-testid="failed">{view.failed}</dd>
        </div>
        <div>
          <dt>CPU time given</dt>
          <dd data-testid="cpu">{formatDuration(view.cpuMs)}</dd>
        </div>
      </dl>
      <p class="muted small" data-testid="totals">
        In all: {totals.completed + totals.failed} jobs, {formatDuration(totals.cpuMs)} of CPU.
      </p>
    </section>
  )
}
