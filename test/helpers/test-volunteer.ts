/**
 * An in-process volunteer: the real `VolunteerAgent` running jobs on real sandbox threads, as an
 * internal worker does, but joined to the hub by an in-memory socket and fetching WebAssembly
 * modules through the app itself instead of over HTTP.
 */
import type { VolunteerHub } from '../../edge/core/volunteers/volunteer-hub'
import { Backoff } from '../../shared/agent/backoff'
import { ModuleCache, ModuleError } from '../../shared/agent/module-cache'
import { VolunteerAgent, type AgentEvent } from '../../shared/agent/volunteer-agent'
import type { Runtime } from '../../shared/protocol/job'
import { VERSION } from '../../shared/protocol/version'
import { NODE_RUNTIMES } from '../../shared/sandbox/node/runtimes'
import { ThreadExecutor } from '../../shared/sandbox/node/thread-executor'
import type { Fetcher } from './api'
import { MemorySocket } from './memory-socket'

export interface TestVolunteerOptions {
  /** What it offers (default: every runtime a Node worker has). */
  runtimes?: Runtime[]
  /** The namespaces it serves (default: every one). */
  namespaces?: string[]
  /** Jobs at once, one sandbox thread each (default 1). */
  concurrency?: number
  /** Jobs held beyond `concurrency` (default 1, as internal workers hold). */
  prefetch?: number
  /** Each job's memory cap (default 128 MiB). */
  memoryMb?: number
  /**
   * The credential its hello presents: default the host's internal one (a trusted executor, like
   * `--workers N`); a volunteer token or an issued one; null for none (an anonymous volunteer).
   */
  token?: string | null
  /** The address it connects from (default 127.0.0.1). */
  address?: string
  /** What its hello says it is: an internal worker (default) or a `zerverless --worker` one. */
  kind?: 'internal' | 'node'
}

export interface TestVolunteer {
  agent: VolunteerAgent
  /** Resolves with its volunteer id once the hub has welcomed it. */
  welcomed: Promise<string>
  /** Every event the agent reported, oldest first. */
  events: AgentEvent[]
  /**
   * Runs a job of `runtime` straight on each of its sandbox threads, not through the orchestrator:
   * loads a runtime (Pyodide takes seconds cold) before a test that gives its guests little time.
   */
  warm(runtime: Runtime, code: string, namespace?: string): Promise<void>
  /** Closes its socket and its sandbox threads. */
  stop(): Promise<void>
}

export function startTestVolunteer(
  options: TestVolunteerOptions & {
    index: number
    hub: VolunteerHub
    fetch: Fetcher
    internalToken: string | undefined
  },
): TestVolunteer {
  const concurrency = options.concurrency ?? 1
  const memoryMb = options.memoryMb ?? 128
  const executor = new ThreadExecutor({ threads: concurrency, memoryBytes: memoryMb << 20 })
  const token = options.token === undefined ? options.internalToken : (options.token ?? undefined)
  const events: AgentEvent[] = []
  let welcome: (id: string) => void = () => undefined
  const welcomed = new Promise<string>((resolve) => (welcome = resolve))
  const agent = new VolunteerAgent({
    url: 'ws://in-process/ws/volunteer',
    connect: () => new MemorySocket(options.hub, { address: options.address ?? '127.0.0.1' }),
    executor,
    agent: {
      kind: options.kind ?? 'internal',
      name: `in-process#${options.index + 1}`,
      version: VERSION,
    },
    capabilities: {
      runtimes: options.runtimes ?? NODE_RUNTIMES,
      concurrency,
      prefetch: options.prefetch ?? 1,
      memory_mb: memoryMb,
      ...(options.namespaces?.length && { namespaces: options.namespaces }),
    },
    ...(token && { token }),
    modules: new ModuleCache(moduleSource(options.fetch)),
    // Reconnects soon: a test that drops a volunteer wants it back, not a minute later.
    backoff: new Backoff(50, 1_000),
    onEvent: (event) => {
      events.push(event)
      if (event.type === 'welcome') welcome(event.volunteerId)
    },
  })
  agent.start()
  return {
    agent,
    welcomed,
    events,
    warm: async (runtime, code, namespace = 'default') => {
      const runs = Array.from({ length: concurrency }, async (_, i) => {
        const outcome = await executor.execute(
          {
            type: 'job',
            job_id: `warm-${options.index}-${i}`,
            attempt: 1,
            job_type: runtime,
            namespace,
            code,
            input_data: null,
            timeout_ms: 60_000,
          },
          new AbortController().signal,
        )
        if (!outcome.ok) throw new Error(`warming ${runtime} failed: ${outcome.error.message}`)
      })
      await Promise.all(runs)
    },
    stop: async () => {
      agent.stop()
      await executor.close()
    },
  }
}

/** `GET /api/wasm/{cid}` through the app, with the errors the agent's HTTP source gives. */
function moduleSource(fetch: Fetcher): (cid: string) => Promise<Uint8Array> {
  return async (cid) => {
    const res = await fetch(`/api/wasm/${cid}`)
    if (res.status === 404) throw new ModuleError(`the orchestrator has no module ${cid}`, false)
    if (!res.ok)
      throw new ModuleError(`fetching module ${cid} failed with HTTP ${res.status}`, true)
    return new Uint8Array(await res.arrayBuffer())
  }
}
