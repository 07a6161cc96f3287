/**
 * Runs N volunteers against an orchestrator, each with its own sandbox thread. Run in a child
 * process by worker-host-supervisor.ts, for internal workers and `zerverless --worker <url>` alike.
 */
import os from 'node:os'
import type { AgentEvent, SocketLike } from '../agent-ports'
import type { FrameLink } from '../frame-link'
import { VolunteerAgent } from '../volunteer-agent'
import { VERSION } from '../../protocol/version'
import { NODE_RUNTIMES } from '../../sandbox/node/runtimes'
import { ThreadExecutor } from '../../sandbox/node/thread-executor'
import { nodeSocket } from './node-socket'

export interface WorkerHostOptions {
  url: string
  workers: number
  kind: 'internal' | 'node'
  name?: string
  namespaces?: string[]
  /** A credential sent in hello: a volunteer token, or one the admin issued (volunteer right). */
  token?: string
  memoryMb?: number
  /** What warm function contexts may hold per sandbox thread (default DEFAULT_WARM_BUDGET_MB). */
  warmBudgetMb?: number
  onEvent?: (index: number, event: AgentEvent) => void
}

export interface WorkerHost {
  agents: VolunteerAgent[]
  drain(): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts the volunteers. `connect` opens each one's connection: a WebSocket to `url` by default,
 * or a link over the IPC channel to the orchestrator that started this process (child-links.ts).
 */
export function startWorkerHost(
  options: WorkerHostOptions,
  connect: (url: string) => SocketLike | FrameLink = nodeSocket,
): WorkerHost {
  const executors: ThreadExecutor[] = []
  const agents = Array.from({ length: options.workers }, (_, i) => {
    const executor = new ThreadExecutor({
      threads: 1,
      ...(options.memoryMb && { memoryBytes: options.memoryMb << 20 }),
      ...(options.warmBudgetMb !== undefined && { warmBudgetBytes: options.warmBudgetMb << 20 }),
    })
    executors.push(executor)
    const agent = new VolunteerAgent({
      url: options.url,
      connect,
      executor,
      agent: {
        kind: options.kind,
        name: `${options.name ?? os.hostname()}#${i + 1}`,
        version: VERSION,
      },
      capabilities: {
        runtimes: NODE_RUNTIMES,
        concurrency: 1,
        // One job waits beside the running one, so the thread never idles for a round trip.
        prefetch: 1,
        memory_mb: options.memoryMb ?? 128,
        ...(options.namespaces?.length && { namespaces: options.namespaces }),
      },
      ...(options.token && { token: options.token }),
      onEvent: options.onEvent && ((event) => options.onEvent?.(i, event)),
    })
    agent.start()
    return agent
  })
  const closeExecutors = () => Promise.all(executors.map((e) => e.close())).then(() => undefined)
  return {
    agents,
    drain: async () => {
      await Promise.all(agents.map((a) => a.drain()))
      await closeExecutors()
    },
    stop: async () => {
      for (const agent of agents) agent.stop()
      await closeExecutors()
    },
  }
}
