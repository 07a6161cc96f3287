/**
 * Starts `volunteer-swarm.ts` as a child process (so its sockets and CPU are not the orchestrator's
 * nor the suite's) and sends it commands over IPC. Stopped by PID.
 */
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import type { FeedResult, ProbeResult, SwarmCommand, SwarmStats } from './volunteer-swarm'

export interface Swarm {
  pid: number
  connect(
    count: number,
    concurrency?: number,
  ): Promise<{ open: number; failed: number; ms: number }>
  queue(count: number): Promise<{ queued: number; ms: number }>
  probe(count: number, gapMs: number): Promise<ProbeResult>
  feed(options: Omit<Extract<SwarmCommand, { op: 'feed' }>, 'op'>): Promise<FeedResult>
  closeAll(): Promise<{ closed: number }>
  stats(): Promise<SwarmStats>
  stop(): Promise<void>
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }

export async function startSwarm(url: string, maxSeconds: number): Promise<Swarm> {
  const child: ChildProcess = fork(
    path.join(import.meta.dirname, 'volunteer-swarm.ts'),
    ['--url', url, '--max-seconds', String(maxSeconds)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('exit', (code, signal) => {
    for (const p of pending.values())
      p.reject(new Error(`volunteer swarm exited (${code ?? signal})`))
    pending.clear()
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`volunteer swarm exited with ${code}`)))
  })
  child.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id)
    if (!waiter) return
    pending.delete(reply.id)
    if (reply.ok) waiter.resolve(reply.result)
    else waiter.reject(new Error(`volunteer swarm: ${reply.error}`))
  })
  await ready
  const call = <T>(command: SwarmCommand) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ id, command })
    })
  return {
    pid: child.pid as number,
    connect: (count, concurrency = 1) => call({ op: 'connect', count, concurrency }),
    queue: (count) => call({ op: 'queue', count }),
    probe: (count, gapMs) => call({ op: 'probe', count, gapMs }),
    feed: (options) => call({ op: 'feed', ...options }),
    closeAll: () => call({ op: 'close' }),
    stats: () => call({ op: 'stats' }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return
      process.kill(child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
    },
  }
}
