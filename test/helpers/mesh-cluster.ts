/**
 * Orchestrators in a mesh, in this process: each a real server (SQLite on disk, HTTP on
 * 127.0.0.1) with a real libp2p node, and in-process volunteers that offer only the runtimes a
 * test gives them, so a test decides who can run what.
 */
import { createHash } from 'node:crypto'
import type { Mesh } from '../../edge/core/federation/mesh'
import { jsonLogger } from '../../edge/core/observability/logger'
import { createLibp2pMesh } from '../../edge/node/federation/libp2p-mesh'
import { startServer, type P2pOptions, type RunningServer } from '../../edge/node/server'
import { api, fetcherOf, type ApiClient } from './api'
import { removeDir, tempDir } from './temp-dir'
import { startTestVolunteer, type TestVolunteer, type TestVolunteerOptions } from './test-volunteer'

export interface MeshNode {
  name: string
  server: RunningServer
  client: ApiClient
  dataDir: string
  peerId: string
  /** Its first P2P multiaddr, for others to bootstrap from. */
  address: string
  volunteers: TestVolunteer[]
  /** Connects one more in-process volunteer; resolves once it is welcomed. */
  addVolunteer(options?: TestVolunteerOptions): Promise<TestVolunteer>
  stop(): Promise<void>
}

export interface MeshNodeOptions extends Partial<P2pOptions> {
  volunteers?: TestVolunteerOptions[]
  /** Reuse a data directory (a restart keeps the peer id). */
  dataDir?: string
}

export async function startMeshNode(
  name: string,
  options: MeshNodeOptions = {},
): Promise<MeshNode> {
  const dataDir = options.dataDir ?? tempDir(`zv-mesh-${name}-`)
  const { volunteers: wanted = [], dataDir: _kept, ...p2p } = options
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 0,
    logger: jsonLogger(() => {}, 'error'),
    p2p: {
      host: '127.0.0.1',
      port: 0,
      bootstrap: [],
      // Long enough that a loaded CI machine never lets one lapse by accident.
      leaseMs: 10_000,
      announceEveryMs: 300,
      ...p2p,
    },
  })
  const federation = server.orchestrator.federation
  const address = federation?.addresses()[0]
  if (!federation?.self || !address) throw new Error(`${name} did not join a mesh`)
  const volunteers: TestVolunteer[] = []
  const addVolunteer = async (volunteer: TestVolunteerOptions = {}) => {
    const started = startTestVolunteer({
      ...volunteer,
      index: volunteers.length,
      hub: server.orchestrator.hub,
      fetch: fetcherOf(server.url),
      internalToken: server.orchestrator.config.internalToken,
    })
    volunteers.push(started)
    await started.welcomed
    return started
  }
  for (const volunteer of wanted) await addVolunteer(volunteer)
  return {
    name,
    server,
    client: api(server.url),
    dataDir,
    peerId: federation.self,
    address,
    volunteers,
    addVolunteer,
    stop: async () => {
      await Promise.all(volunteers.map((v) => v.stop()))
      await server.close()
      if (!options.dataDir) removeDir(dataDir)
    },
  }
}

/** A bare libp2p node of the mesh, no orchestrator behind it: a test plays a peer frame by frame. */
export async function startBareMesh(
  bootstrap: string[],
  maxFrameBytes = 1 << 20,
): Promise<{ mesh: Mesh; stop(): Promise<void> }> {
  const dir = tempDir('zv-mesh-bare-')
  const mesh = await createLibp2pMesh({ dataDir: dir, port: 0, bootstrap, maxFrameBytes })
  return {
    mesh,
    stop: async () => {
      await mesh.stop()
      removeDir(dir)
    },
  }
}

/** An offer of one attempt of a Python job, as an origin sends it on `/zerverless/job/1.0.0`. */
export function offerFrame(code: string, jobId: string) {
  return {
    type: 'offer',
    job_id: jobId,
    attempt: 1,
    job_type: 'python',
    namespace: 'mallory',
    code_hash: createHash('sha256').update(code).digest('hex'),
    input_data: null,
    timeout_ms: 30_000,
    untrusted_db: { read: [], write: [] },
    lease_ms: 10_000,
  }
}
