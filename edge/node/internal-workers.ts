/**
 * `--workers N`: N volunteers in a child process (worker-host-supervisor.ts) so that a guest that
 * brings V8 down takes only that process with it. It is started again; the jobs it held are
 * re-queued like any disconnected volunteer's. They talk to the hub over the child's IPC channel
 * (internal-links.ts), not a loopback WebSocket: one hop, frames as objects, no schema.
 */
import { superviseWorkerHost } from '../../shared/agent/node/worker-host-supervisor'
import type { VolunteerHub } from '../core/volunteers/volunteer-hub'
import { InternalLinks } from './internal-links'

export interface InternalWorkers {
  stop(): Promise<void>
}

/**
 * `url`: the orchestrator's `/ws/volunteer` address; its HTTP origin serves wasm modules to the
 * workers. `token`: the process's internal credential, which makes these workers trusted
 * executors. It reaches the child over IPC, never on its command line or in its environment.
 */
export function startInternalWorkers(
  hub: VolunteerHub,
  url: string,
  workers: number,
  token?: string,
  warmBudgetMb?: number,
): InternalWorkers {
  return superviseWorkerHost(
    {
      url,
      workers,
      kind: 'internal',
      name: 'internal',
      ...(token && { token }),
      ...(warmBudgetMb !== undefined && { warmBudgetMb }),
    },
    {
      links: new InternalLinks(hub),
      onRestart: (why, inMs) =>
        console.error(`internal workers exited (${why}); starting them again in ${inMs} ms`),
    },
  )
}
