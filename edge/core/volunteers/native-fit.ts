/**
 * Whether a runner can take a native job. Unlike sandboxed jobs, which any volunteer offering the
 * runtime can take, a native job fits only the runner holding its executable (local and git
 * services), or any runner whose machine meets the service's requirements (uploaded ones).
 */
import { acceptsNamespace, type Capabilities } from '../../../shared/protocol/capabilities'
import type { PeerInfo } from '../../../shared/protocol/frames'
import { canExecute } from '../../../shared/protocol/system-capabilities'
import type { NativeNeeds } from '../placement/work'

/** What of a volunteer decides whether it may run a native job. */
export interface RunnerView {
  peer: PeerInfo | undefined
  trusted: boolean
  capabilities: Capabilities | undefined
}

/** Why a runner cannot take a native job, or undefined when it can. */
export function unfit(
  work: { namespace: string; native: NativeNeeds },
  runner: RunnerView,
): string | undefined {
  const peer = runner.peer
  if (!peer) return 'not a runner'
  // A run carries the service's environment, stdin, input files and a job token.
  if (!runner.trusted) return `runner ${peer.id} is not trusted`
  if (!peer.native || !runner.capabilities?.runtimes.includes('native'))
    return `runner ${peer.id} does not run native executables`
  const { peerId, requirements } = work.native
  if (peerId !== null && peer.id !== peerId)
    return `the service's executable is on runner ${peerId}`
  if (runner.capabilities && !acceptsNamespace(runner.capabilities, work.namespace))
    return `runner ${peer.id} does not take jobs from namespace '${work.namespace}'`
  const verdict = canExecute(peer.system, requirements)
  return verdict.ok ? undefined : verdict.reason
}
