/**
 * How long a fourth orchestrator takes to join a mesh of three through one bootstrap peer: until
 * every other one lists it as connected, has its announcement, and can hand it work. Each run
 * starts a fresh mesh, so no peer remembers the newcomer from a run before.
 */
import { startMeshNode, type MeshNode, type MeshNodeOptions } from '../../test/helpers/mesh-cluster'
import { round } from './stats'

/** Milliseconds from the newcomer's start to each milestone. */
export interface JoinTimes {
  /** Its server listens and its volunteer is welcomed. */
  startedMs: number
  /** Every other orchestrator lists it as connected. */
  connectedMs: number
  /** Every other one has an announcement from it. */
  announcedMs: number
  /** Every other one has an announcement from it that offers the runtime only it runs. */
  offersMs: number
  /** A job of that runtime, waiting at an orchestrator that knew only the bootstrap peer, completed on it. */
  forwardedMs: number
}

/** The settings a production node would run with (announcements every 2 s, 15 s leases). */
export const PRODUCTION: MeshNodeOptions = { announceEveryMs: 2_000, leaseMs: 15_000 }

type PeerRow = { id: string; status: string; load: number | null; runtimes: string[] }

/** The peers `node` knows, straight from its federation (what GET /api/federation/peers renders). */
function peersOf(node: MeshNode): PeerRow[] {
  return node.server.orchestrator.federation?.peers() ?? []
}

/** Resolves once `ok` holds, polled every few ms, with the ms since `from`; rejects after `ms`. */
async function when(ok: () => boolean, from: number, ms = 30_000): Promise<number> {
  for (;;) {
    if (ok()) return performance.now() - from
    if (performance.now() - from > ms) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

/**
 * One run: B alone, A and C (Lua volunteers) bootstrapped from B and meshed, then D (the only js
 * volunteer) bootstrapped from B. A js job is waiting at A when D starts.
 */
export async function measureJoin(): Promise<JoinTimes> {
  const nodes: MeshNode[] = []
  try {
    const b = await startMeshNode('b', PRODUCTION)
    nodes.push(b)
    for (const name of ['a', 'c'])
      nodes.push(
        await startMeshNode(name, {
          ...PRODUCTION,
          bootstrap: [b.address],
          volunteers: [{ runtimes: ['lua'] }],
        }),
      )
    const [, a] = nodes as [MeshNode, MeshNode, MeshNode]
    const three = [...nodes]
    const known = new Set(three.map((n) => n.peerId))
    const everyone = (row: (peer: PeerRow) => boolean) => () =>
      three.every((n) => peersOf(n).some((p) => !known.has(p.id) && row(p)))
    await when(
      () =>
        three.every(
          (n) => peersOf(n).filter((p) => p.status === 'connected' && p.load !== null).length === 2,
        ),
      performance.now(),
    )
    const waiting = await a.client.post('/api/jobs', { job_type: 'js', code: '1 + 1' })
    if (waiting.status !== 201) throw new Error(`submit failed: ${waiting.status}`)

    const from = performance.now()
    const connected = when(
      everyone((p) => p.status === 'connected'),
      from,
    )
    const announced = when(
      everyone((p) => p.status === 'connected' && p.load !== null),
      from,
    )
    const offers = when(
      everyone((p) => p.status === 'connected' && p.runtimes.includes('js')),
      from,
    )
    const forwarded = (async () => {
      const done = await a.client.get(`/api/jobs/${waiting.body.id}?wait=30`)
      if (done.body.status !== 'completed') throw new Error(`the waiting job ${done.body.status}`)
      return { ms: performance.now() - from, by: done.body.executed_by?.orchestrator as string }
    })()
    // Awaited below; a failure before then must not surface as an unhandled rejection.
    for (const pending of [connected, announced, offers, forwarded]) pending.catch(() => undefined)
    const d = await startMeshNode('d', {
      ...PRODUCTION,
      bootstrap: [b.address],
      volunteers: [{ runtimes: ['js'] }],
    })
    const startedMs = performance.now() - from
    nodes.push(d)
    const ran = await forwarded
    if (ran.by !== d.peerId) throw new Error(`the waiting job ran on ${ran.by}, not the newcomer`)
    return {
      startedMs: round(startedMs, 1),
      connectedMs: round(await connected, 1),
      announcedMs: round(await announced, 1),
      offersMs: round(await offers, 1),
      forwardedMs: round(ran.ms, 1),
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
  }
}
