/**
 * The two orchestrator hosts a benchmark compares, behind one shape: the Worker under local
 * workerd (`wrangler dev`) and `zerverless` on Node with no internal workers, so that the same
 * `zerverless --worker` processes do the work on both. Both are stopped by PID.
 */
import { startEdge } from '../../test/helpers/edge-process'
import { removeDir, startZerverless } from '../../test/helpers/zerverless-process'

export type HostKind = 'edge' | 'node'

export interface Host {
  kind: HostKind
  url: string
  /** Where volunteers connect. */
  wsUrl: string
  /** Stops the host and removes its state directory. */
  stop(): Promise<void>
}

const STOP_GRACE_MS = 10_000

export async function startHost(kind: HostKind, options: { rooms: number }): Promise<Host> {
  if (kind === 'edge') {
    const edge = await startEdge({ rooms: options.rooms })
    return { kind, url: edge.url, wsUrl: edge.wsUrl, stop: () => edge.dispose() }
  }
  const node = await startZerverless(['--workers', '0'])
  return {
    kind,
    url: node.url,
    wsUrl: node.wsUrl,
    stop: async () => {
      // SIGTERM drains; a server that hangs on it is killed rather than waited for.
      const stopped = await Promise.race([
        node.stop().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), STOP_GRACE_MS).unref()),
      ])
      if (!stopped) await node.kill()
      removeDir(node.dataDir)
    },
  }
}
