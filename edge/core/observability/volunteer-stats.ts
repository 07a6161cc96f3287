/** Volunteers by state, slots, and which runtimes are on offer: for `/stats`, `/info` and metrics. */
import type { Runtime } from '../../../shared/protocol/job'
import type { VolunteerHub } from '../volunteers/volunteer-hub'
import type { VolunteerCounts } from './metrics'

/** Counts the hub's volunteers that said hello; `connected` counts every socket. */
export function countVolunteers(hub: Pick<VolunteerHub, 'connected' | 'size'>): VolunteerCounts {
  let idle = 0
  let busy = 0
  let draining = 0
  let slots = 0
  let slotsBusy = 0
  const runtimes: Partial<Record<Runtime, number>> = {}
  for (const session of hub.connected) {
    if (session.state === 'greeting' || session.state === 'closed' || !session.capabilities)
      continue
    if (session.state === 'draining') draining++
    else if (session.running.size > 0) busy++
    else idle++
    slots += session.capabilities.concurrency
    slotsBusy += session.running.size
    for (const runtime of session.capabilities.runtimes)
      runtimes[runtime] = (runtimes[runtime] ?? 0) + 1
  }
  return {
    connected: hub.size,
    idle,
    busy,
    draining,
    slots: { total: slots, busy: slotsBusy },
    runtimes,
  }
}
