/**
 * What this orchestrator tells its peers of itself: its volunteers, queue, load, the runtimes it
 * would run for them (only volunteers that take any namespace count: a peer's work is recorded
 * under a namespace of its own), and its runners' machines.
 */
import type { Announcement } from '../../../shared/protocol/federation'
import type { Runtime } from '../../../shared/protocol/job'
import type { VolunteerSession } from '../volunteers/volunteer-session'

export function announce(
  sessions: Iterable<VolunteerSession>,
  pendingJobs: number,
  allow: readonly string[] | undefined,
): Announcement {
  let connected = 0
  let idle = 0
  let slots = 0
  let busy = 0
  let forwardSlots = 0
  const runtimes = new Set<Runtime>()
  const native: Announcement['native'] = []
  for (const session of sessions) {
    connected++
    const caps = session.capabilities
    if (session.state !== 'active' || !caps) continue
    if (session.running.size === 0) idle++
    slots += caps.concurrency
    busy += Math.min(caps.concurrency, session.running.size)
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
  return {
    type: 'stats',
    volunteers: { connected, idle },
    pending_jobs: Math.min(pendingJobs, 1_000_000),
    load: slots === 0 ? 1 : busy / slots,
    runtimes: [...runtimes],
    slots: forwardSlots,
    native,
    ...(allow && { allow: [...allow] }),
  }
}
