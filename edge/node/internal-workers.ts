/**
 * `--workers N`: N volunteers connected to our own `/ws/volunteer` like any other, in a child
 * process (worker-host-supervisor.ts) so that a guest that brings V8 down takes only that process
 * with it. It is started again; the jobs it held are re-queued like any disconnected volunteer's.
 */
import { superviseWorkerHost } from '../../shared/agent/node/worker-host-supervisor'

export interface InternalWorkers {
  stop(): Promise<void>
}

/**
 * `token`: the process's internal credential, which makes these workers trusted executors. It
 * reaches the child over IPC, never on its command line or in its environment.
 */
export function startInternalWorkers(
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
      onRestart: (why, inMs) =>
        console.error(`internal workers exited (${why}); starting them again in ${inMs} ms`),
    },
  )
}
