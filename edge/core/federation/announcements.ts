/**
 * What this orchestrator tells its peers of itself: its volunteers, queue and load (as `/stats`
 * counts them), the runtimes it would run for them (only volunteers that take any namespace count:
 * a peer's work is recorded under a namespace of its own), and its runners' machines.
 */
import type { Announcement } from '../../../shared/protocol/federation'
import type { Runtime } from '../../../shared/protocol/job'
import { countVolunteers } from '../observability/volunteer-stats'
import type { VolunteerHub } from '../volunteers/volunteer-hub'

export function announce(
  hub: Pick<VolunteerHub, 'connected' | 'size'>,
  pendingJobs: number,
  allow: readonly string[] | undefined,
): Announcement {
  const counts = countVolunteers(hub)
  let forwardSlots = 0
  const runtimes = new Set<Runtime>()
  const native: Announcement['native'] = []
  for (const session of hub.connected) {
    const caps = session.capabilities
    if (session.state !== 'active' || !caps) continue
    if (!caps.namespaces?.length) {
      forwardSlots += caps.concurrency
      for (const runtime of caps.runtimes) if (runtime !== 'native') runtimes.add(runtime)
    }
    const system = session.peer?.native ? session.peer.system : undefined
    if (system && native.length < 256)
      native.push({
        platform: system.platform,
        architecture: system.architecture,
        memory_mb: system.available_memory_mb,
        disk_mb: system.available_disk_mb,
        cpu_cores: system.cpu_cores,
        gpus: system.gpus.map((g) => ({ vendor: g.vendor, memory_mb: g.memory_mb })),
      })
  }
  const { total, busy } = counts.slots
  return {
    type: 'stats',
    volunteers: { connected: counts.connected, idle: counts.idle },
    pending_jobs: Math.min(pendingJobs, 1_000_000),
    load: total === 0 ? 1 : Math.min(1, busy / total),
    runtimes: [...runtimes],
    slots: forwardSlots,
    native,
    ...(allow && { allow: [...allow] }),
  }
}
