import { useEffect, useState } from 'preact/hooks'
import type { VolunteerView } from '../volunteer/volunteer-view'

const LABELS = {
  starting: 'Starting',
  connecting: 'Connecting',
  connected: 'Connected',
  paused: 'Paused',
  hidden: 'Paused while hidden',
  stopped: 'Stopped',
} as const

/** The connection in a word, and when the next attempt is while the orchestrator is away. */
export function ConnectionBadge({ view }: { view: VolunteerView }) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    if (view.retryAt === undefined) return
    const timer = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(timer)
  }, [view.retryAt])
  const retry =
    view.connection === 'connecting' && view.retryAt !== undefined
      ? ` · retrying in ${Math.max(0, Math.ceil((view.retryAt - now) / 1000))} s`
      : ''
  return (
    <span class={`badge ${view.connection}`} data-testid="connection" data-state={view.connection}>
      {LABELS[view.connection]}
      {retry}
    </span>
  )
}
