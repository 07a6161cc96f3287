/**
 * A guest's progress from the sandbox thread to the socket: real sandbox threads, the agent's
 * job runner, and the frames it would send, recorded.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { JobFrame, VolunteerFrame } from '../protocol/frames'
import { ThreadExecutor } from '../sandbox/node/thread-executor'
import { AgentJobs } from './agent-jobs'
import type { AgentEvent } from './agent-ports'
import { ModuleCache } from './module-cache'

const executor = new ThreadExecutor({ threads: 1, memoryBytes: 32 << 20 })
afterAll(() => executor.close())

let n = 0
function job(job_type: JobFrame['job_type'], code: string): JobFrame {
  const id = `p${++n}`
  return {
    type: 'job',
    job_id: id,
    attempt: 1,
    job_type,
    namespace: 'default',
    code,
    input_data: {},
    timeout_ms: 30_000,
  }
}

/** Runs jobs until each has reported; resolves with every frame sent and every event. */
function runAll(jobs: JobFrame[]): Promise<{ frames: VolunteerFrame[]; events: AgentEvent[] }> {
  const frames: VolunteerFrame[] = []
  const events: AgentEvent[] = []
  return new Promise((resolve) => {
    const agentJobs = new AgentJobs({
      executor,
      modules: new ModuleCache(async () => new Uint8Array()),
      send: (frame) => {
        frames.push(frame)
        return true
      },
      onEvent: (event) => events.push(event),
      onIdle: () => resolve({ frames, events }),
    })
    for (const frame of jobs) agentJobs.start(frame)
  })
}

describe('guest progress through the agent', () => {
  it('sends a handful of frames for 200,001 reports, the last one among them, all before the result', async () => {
    const code = 'for (let i = 0; i <= 200000; i++) progress(i / 200000, "item " + i); 7'
    const { frames } = await runAll([job('js', code)])
    const progress = frames.filter((f) => f.type === 'progress')
    // At most one a quarter second, plus the last: the loop would have to run for seconds to
    // come near this bound, and 200,001 frames is what an ungated agent sends.
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.length).toBeLessThan(50)
    expect(frames.at(-1)).toMatchObject({ type: 'result', result: 7 })
    expect(frames.at(-2)).toEqual({
      type: 'progress',
      job_id: `p${n}`,
      attempt: 1,
      fraction: 1,
      message: 'item 200000',
    })
  })

  it('starts a job waiting for a thread only when it gets one', async () => {
    const { events } = await runAll([job('lua', 'progress(0.5) return 1'), job('js', '2')])
    const order = events.map((e) => ('jobId' in e ? `${e.type} ${e.jobId}` : e.type))
    // One thread: the second job starts once the first's thread is free, not when it arrived.
    expect(order.slice(0, 2)).toEqual([`job-started p${n - 1}`, `job-progress p${n - 1}`])
    expect(order.slice(2).sort()).toEqual(
      [`job-finished p${n - 1}`, `job-finished p${n}`, `job-started p${n}`].sort(),
    )
    expect(order.indexOf(`job-started p${n}`)).toBeLessThan(order.indexOf(`job-finished p${n}`))
  })

  it('raises a bad report in the guest, where its author can see it', async () => {
    const { frames } = await runAll([job('python', 'progress(0.5, 42)')])
    expect(frames.filter((f) => f.type === 'progress')).toEqual([])
    const report = frames.at(-1)
    expect(report?.type).toBe('error')
    if (report?.type === 'error')
      expect(report.error.message).toContain(
        'progress(fraction, message): message must be a string',
      )
  }, 60_000)
})
