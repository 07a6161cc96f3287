import { afterEach, describe, expect, it } from 'vitest'
import type { HostHandler, JobExecutor, RunnableJob, SocketLike } from './agent-ports'
import { reportFrame } from './job-report'
import { ModuleCache } from './module-cache'
import { VolunteerAgent } from './volunteer-agent'
import type { RunOutcome } from '../runtime/runtime'

/** A socket the test plays the orchestrator on: what the agent sent, and frames to hand it. */
class FakeSocket implements SocketLike {
  readyState = 0
  sent: Record<string, unknown>[] = []
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close(code = 1000, reason = '') {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
  types() {
    return this.sent.map((f) => f.type)
  }
}

/** An executor whose jobs end when the test says, and may call the host on the way. */
class HeldExecutor implements JobExecutor {
  readonly held = new Map<string, (outcome: RunOutcome) => void>()
  readonly hosts = new Map<string, HostHandler | undefined>()
  execute(job: RunnableJob, signal: AbortSignal, host?: HostHandler): Promise<RunOutcome> {
    this.hosts.set(job.job_id, host)
    return new Promise((resolve) => {
      this.held.set(job.job_id, resolve)
      signal.addEventListener('abort', () =>
        resolve({
          ok: false,
          error: { code: 'CANCELLED', message: 'cancelled' },
          output: '',
          durationMs: 0,
        }),
      )
    })
  }
  async close() {}
}

const job = (id: string, attempt = 1) => ({
  type: 'job',
  job_id: id,
  attempt,
  job_type: 'js',
  namespace: 'alice',
  code: '1',
  input_data: null,
  timeout_ms: 1000,
})
const welcome = {
  type: 'welcome',
  protocol: 1,
  volunteer_id: 'v-1',
  heartbeat_interval_ms: 60_000,
  max_frame_bytes: 1 << 20,
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

const agents: VolunteerAgent[] = []
afterEach(() => {
  for (const agent of agents.splice(0)) agent.stop()
})

function connected() {
  const socket = new FakeSocket()
  const executor = new HeldExecutor()
  const events: string[] = []
  const agent = new VolunteerAgent({
    url: 'ws://host/ws/volunteer',
    connect: () => socket,
    executor,
    capabilities: { runtimes: ['js'], concurrency: 2, prefetch: 0 },
    agent: { kind: 'node', name: 'test' },
    modules: new ModuleCache(async () => new Uint8Array()),
    onEvent: (event) => events.push(event.type),
  })
  agents.push(agent)
  agent.start()
  socket.open()
  socket.receive(welcome)
  return { agent, socket, executor, events }
}

describe('VolunteerAgent', () => {
  it('says hello, runs a job and reports its result', async () => {
    const { agent, socket, executor } = connected()
    expect(socket.sent[0]).toMatchObject({ type: 'hello', agent: { kind: 'node' } })
    expect(agent.status).toBe('connected')
    expect(agent.volunteerId).toBe('v-1')
    socket.receive(job('j-1'))
    await tick()
    expect(agent.runningJobs).toBe(1)
    executor.held.get('j-1')?.({ ok: true, result: 42, output: 'hi\n', durationMs: 1 })
    await tick()
    expect(socket.sent.at(-1)).toEqual({
      type: 'result',
      job_id: 'j-1',
      attempt: 1,
      result: 42,
      output: 'hi\n',
    })
    expect([agent.runningJobs, agent.completed, agent.failed]).toEqual([0, 1, 0])
  })

  it('carries a host call to the orchestrator and its reply back', async () => {
    const { socket, executor } = connected()
    socket.receive(job('j-1'))
    await tick()
    const reply = executor.hosts.get('j-1')?.({ op: 'db.get', key: 'k' })
    expect(socket.sent.at(-1)).toMatchObject({
      type: 'host',
      job_id: 'j-1',
      call: { op: 'db.get' },
    })
    socket.receive({
      type: 'host_reply',
      request_id: socket.sent.at(-1)?.request_id,
      reply: { ok: true, value: 7 },
    })
    expect(await reply).toEqual({ ok: true, value: 7 })
  })

  it('does not report a cancelled attempt', async () => {
    const { agent, socket } = connected()
    socket.receive(job('j-1', 2))
    await tick()
    socket.receive({ type: 'cancel', job_id: 'j-1', attempt: 1, reason: 'cancelled' })
    expect(agent.runningJobs).toBe(1) // another attempt: not this one
    socket.receive({ type: 'cancel', job_id: 'j-1', attempt: 2, reason: 'cancelled' })
    await tick()
    expect(agent.runningJobs).toBe(0)
    expect(socket.types()).not.toContain('error')
    expect(agent.failed).toBe(1)
  })

  it('drains: takes no new job, reports the running one, then closes', async () => {
    const { agent, socket, executor } = connected()
    socket.receive(job('j-1'))
    await tick()
    const drained = agent.drain()
    expect(socket.sent.at(-1)).toMatchObject({ type: 'drain' })
    socket.receive(job('j-2'))
    expect(agent.runningJobs).toBe(1)
    executor.held.get('j-1')?.({
      ok: false,
      error: { code: 'GUEST_ERROR', message: 'boom' },
      output: '',
      durationMs: 1,
    })
    await drained
    expect(socket.types().filter((t) => t === 'error')).toHaveLength(1)
    expect(agent.status).toBe('stopped')
    expect(socket.readyState).toBe(3)
  })

  it('aborts its jobs and retries with backoff when the connection drops', async () => {
    const { agent, socket, events } = connected()
    socket.receive(job('j-1'))
    await tick()
    socket.close(1006, '')
    expect(agent.runningJobs).toBe(0)
    expect(agent.status).toBe('connecting')
    expect(events).toContain('disconnected')
  })
})

describe('reportFrame', () => {
  const ref = { type: 'job', job_id: 'j', attempt: 3 } as const
  it('clips what an error says and marks a volunteer-side failure retryable', () => {
    const frame = reportFrame(ref as never, {
      ok: false,
      error: {
        code: 'WORKER_CRASHED',
        message: 'x'.repeat(100_000),
        traceback: 'y'.repeat(100_000),
      },
      output: 'o',
      durationMs: 0,
      exitCode: 1,
      retryable: true,
    })
    expect(frame).toMatchObject({
      type: 'error',
      job_id: 'j',
      attempt: 3,
      exit_code: 1,
      retryable: true,
    })
    const error = (frame as { error: { message: string; traceback: string } }).error
    expect(error.message.length).toBeLessThan(100_000)
    expect(error.traceback.length).toBeLessThan(100_000)
  })
})
