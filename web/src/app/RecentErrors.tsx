import type { RecentError } from '../volunteer/volunteer-view'

/** The last few failures, newest first: guests' errors, and protocol trouble. */
export function RecentErrors({ errors }: { errors: RecentError[] }) {
  return (
    <section class="card" aria-label="Last errors">
      <h2>Last errors</h2>
      {errors.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="errors" data-testid="errors">
          {errors.map((error) => (
            <li key={`${error.at}-${error.jobId}`}>
              <time>{new Date(error.at).toLocaleTimeString()}</time>{' '}
              {error.jobId && <code>{error.jobId.slice(0, 8)}</code>} {error.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
