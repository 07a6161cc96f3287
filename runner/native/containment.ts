/**
 * Choosing how a runner holds its native runs (see process-tree.ts), once, at start: a cgroup v2
 * where it can make one, else a PID namespace, else the process group as before. `--contain`
 * names one instead, and then it must work.
 */
import { cgroupContainment } from './cgroup-tree'
import { pidNamespaceContainment } from './pid-namespace'
import type { Containment } from './process-tree'
import { processGroupContainment } from './stop-group'

export const CONTAINMENT_CHOICES = ['auto', 'cgroup', 'pid-namespace', 'process-group'] as const
export type ContainmentChoice = (typeof CONTAINMENT_CHOICES)[number]

export type Detected =
  | {
      ok: true
      containment: Containment
      /** Why each better mechanism was not used, for the runner's log. */
      skipped: string[]
    }
  | { ok: false; message: string }

/**
 * The best mechanism of those `choice` allows. `owner` (a runner's peer id) gives the runner its
 * own cgroup directory, so that it can end what a crashed run of itself left behind.
 */
export async function detectContainment(
  choice: ContainmentChoice = 'auto',
  options: { owner?: string } = {},
): Promise<Detected> {
  const skipped: string[] = []
  if (choice === 'auto' || choice === 'cgroup') {
    const cgroup = await cgroupContainment(options)
    if (cgroup.ok) return { ok: true, containment: cgroup.containment, skipped }
    if (choice === 'cgroup') return { ok: false, message: `--contain cgroup: ${cgroup.reason}` }
    skipped.push(`cgroup v2: ${cgroup.reason}`)
  }
  if (choice === 'auto' || choice === 'pid-namespace') {
    const pidns = await pidNamespaceContainment()
    if (pidns.ok) return { ok: true, containment: pidns.containment, skipped }
    if (choice === 'pid-namespace')
      return { ok: false, message: `--contain pid-namespace: ${pidns.reason}` }
    skipped.push(`PID namespace: ${pidns.reason}`)
  }
  return { ok: true, containment: processGroupContainment, skipped }
}

let detected: Promise<Containment> | undefined

/** The best mechanism this machine offers, detected once per process; for runs that name none. */
export function defaultContainment(): Promise<Containment> {
  detected ??= detectContainment('auto').then((found) =>
    found.ok ? found.containment : processGroupContainment,
  )
  return detected
}
