import { useEffect, useState } from 'preact/hooks'
import type { ServiceWorkerControl } from '../pwa/service-worker'
import type { BrowserVolunteer, VolunteerSnapshot } from '../volunteer/browser-volunteer'
import { ConnectionBadge } from './ConnectionBadge'
import { Controls } from './Controls'
import { CpuChart } from './CpuChart'
import { JobsChart } from './JobsChart'
import { Numbers } from './Numbers'
import { RecentErrors } from './RecentErrors'
import { RunningJobs } from './RunningJobs'

interface Props {
  volunteer: BrowserVolunteer | undefined
  failure: string | undefined
  update: ServiceWorkerControl | undefined
}

export function App({ volunteer, failure, update }: Props) {
  const [snapshot, setSnapshot] = useState<VolunteerSnapshot | undefined>(volunteer?.snapshot)
  useEffect(() => volunteer?.subscribe(setSnapshot), [volunteer])

  return (
    <div class="page">
      <header class="top">
        <img
          class="logo"
          src={`${import.meta.env.BASE_URL}favicon.svg`}
          alt=""
          width={32}
          height={32}
        />
        <div class="title">
          <h1>Zerverless volunteer</h1>
          <p class="tagline">This tab runs other people’s jobs in sandboxes while it is open.</p>
        </div>
        {snapshot && <ConnectionBadge view={snapshot.view} />}
      </header>
      {update && (
        <div class="notice" role="status" data-testid="update">
          A new version is ready.{' '}
          <button type="button" onClick={() => update.update()}>
            Update now
          </button>
        </div>
      )}
      {failure && (
        <div class="notice error" role="alert">
          The volunteer could not start: {failure}
        </div>
      )}
      {!snapshot && !failure && <p class="muted">Starting…</p>}
      {snapshot && volunteer && (
        <main class="grid">
          <Controls snapshot={snapshot} onChange={(patch) => volunteer.update(patch)} />
          <Numbers snapshot={snapshot} />
          <JobsChart perMinute={snapshot.view.perMinute} />
          <CpuChart cpu={snapshot.view.cpu} threads={snapshot.settings.threads} />
          <RunningJobs jobs={snapshot.view.running} />
          <RecentErrors errors={snapshot.view.errors} />
        </main>
      )}
      {snapshot && (
        <footer class="muted small">
          <span data-testid="volunteer-id">
            {snapshot.view.volunteerId
              ? `Volunteer ${snapshot.view.volunteerId}`
              : 'Not connected yet'}
          </span>
          {' · '}
          <span>{snapshot.orchestrator}</span>
          {' · '}
          <span data-testid="isolation">
            {snapshot.isolated
              ? 'isolated: database calls available'
              : 'not isolated: jobs run without the database'}
          </span>
        </footer>
      )}
    </div>
  )
}
