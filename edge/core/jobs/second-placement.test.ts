import { describe, expect, it } from 'vitest'
import type { Runtime } from '../../../shared/protocol/job'
import type { Attempt, AttemptRef, Placement, PlacementEvents, Site } from '../placement/placement'
import type { Task, WorkSpec } from '../placement/work'
import { VolunteerPool } from '../volunteers/volunteer-pool'
import { Scheduler } from './scheduler'
import { fakeVolunteer, memoryStore, newJob, settle } from './test-helpers'

/**
 * A placement with one site standing for another orchestrator (what federation will plug in): it
 * takes the runtimes it advertises while it has room, and reports back through the same events.
 */
class PeerPlacement implements Placement {
  readonly running: { attempt: Attempt; task: Task }[] = []
  readonly cancelled: string[] = []
  /** The other orchestrator, as one site. */
  readonly peer: Site & { slots: number }

  constructor(
    private readonly events: PlacementEvents,
    runtimes: Runtime[],
    slots: number,
  ) {
    const running = this.running
    this.peer = {
      id: 'peer-1',
      key: 'orch:peer-1',
      standing: 'orch:peer-1',
      trusted: true,
      capabilities: { runtimes, concurrency: slots },
      slots,
      get room() {
        return Math.max(0, this.slots - running.length)
      },
      fits: (work: WorkSpec) => runtimes.includes(work.runtime),
      has: (id: string) => running.some((r) => r.attempt.id === id),
      queueWait: () => 0,
    }
  }

  canRun(work: WorkSpec): boolean {
    return this.peer.fits(work)
  }
  offer(work: WorkSpec, admit?: (site: Site) => boolean): Site | undefined {
    const ok = this.peer.room > 0 && this.peer.fits(work) && (!admit || admit(this.peer))
    return ok ? this.peer : undefined
  }
  run(attempt: Attempt, task: Task, ready?: Promise<void>): void {
    this.running.push({ attempt, task })
    void ready?.then(() => this.events.started(attempt, Date.now()))
  }
  cancel(ref: AttemptRef): void {
    this.cancelled.push(ref.id)
    this.remove(ref.id)
  }
  site(id: string): Site | undefined {
    return id === this.peer.id ? this.peer : undefined
  }
  wakeAt(): number | undefined {
    return undefined
  }
  tick(): void {}

  /** The peer answered: the attempt leaves, and its slot takes queued work. */
  answer(id: string, result: number): boolean {
    const attempt = this.remove(id)
    if (!attempt) return false
    const frame = {
      type: 'result' as const,
      job_id: id,
      attempt: attempt.attempt,
      result,
      output: '',
    }
    const taken = this.events.reported(attempt, frame, Date.now())
    this.events.room(this.peer, this)
    return taken
  }

  /** The peer became unreachable with this work on it. */
  drop(id: string): void {
    const attempt = this.remove(id)
    if (attempt) this.events.lost(attempt, 'disconnected', Date.now())
  }

  /** It announces more room. */
  grow(slots: number): void {
    this.peer.slots = slots
    this.events.room(this.peer, this)
  }

  private remove(id: string): Attempt | undefined {
    const at = this.running.findIndex((r) => r.attempt.id === id)
    return at < 0 ? undefined : this.running.splice(at, 1)[0]?.attempt
  }
}

function twoPlacements(peerRuntimes: Runtime[], peerSlots: number) {
  const { sql, store } = memoryStore()
  const scheduler = new Scheduler(
    store,
    { timeoutGraceMs: 100, durable: () => sql.durable() },
    (events) =>
      [new VolunteerPool(events), new PeerPlacement(events, peerRuntimes, peerSlots)] as const,
  )
  const [pool, peer] = scheduler.placements
  return { store, scheduler, pool, peer }
}

describe('a second placement beside the volunteer pool', () => {
  it('runs what only it can run, and its report ends the job', async () => {
    const { store, scheduler, pool, peer } = twoPlacements(['lua'], 1)
    const v = fakeVolunteer('v1', ['js'])
    pool.admit(v.session)
    const [js, lua] = scheduler.submit([newJob(), newJob({ job_type: 'lua', code: 'return 1' })])
    await settle()
    expect(v.jobs().map((f) => f.job_id)).toEqual([js?.id])
    expect(peer.running.map((r) => [r.attempt.id, r.task.job_type])).toEqual([[lua?.id, 'lua']])
    expect(store.get(lua!.id)).toMatchObject({ status: 'running', volunteer_id: 'peer-1' })
    expect(peer.answer(lua!.id, 7)).toBe(true)
    expect(store.get(lua!.id)).toMatchObject({ status: 'completed', result: 7 })
  })

  it('takes the oldest queued work it can run when it reports room', async () => {
    const { store, scheduler, peer } = twoPlacements(['lua'], 0)
    const jobs = scheduler.submit([1, 2, 3].map(() => newJob({ job_type: 'lua' })))
    expect(peer.running).toHaveLength(0)
    peer.grow(2)
    expect(peer.running.map((r) => r.attempt.id)).toEqual([jobs[0]?.id, jobs[1]?.id])
    expect(store.get(jobs[2]!.id)?.status).toBe('pending')
  })

  it('gets the work back in the queue when it loses it, for another site to run', async () => {
    const { store, scheduler, pool, peer } = twoPlacements(['js'], 1)
    const [job] = scheduler.submit([newJob()])
    expect(peer.running.map((r) => r.attempt.attempt)).toEqual([1])
    peer.peer.slots = 0
    peer.drop(job!.id)
    expect(store.get(job!.id)).toMatchObject({ status: 'pending', attempts: 1 })
    const v = fakeVolunteer('v1', ['js'])
    pool.admit(v.session)
    await settle()
    expect(v.jobs()).toMatchObject([{ job_id: job?.id, attempt: 2 }])
  })

  it('counts as one distinct site for a redundant job, beside a volunteer', async () => {
    const { store, scheduler, pool, peer } = twoPlacements(['js'], 4)
    const v = fakeVolunteer('v1', ['js'], 4)
    pool.admit(v.session)
    const [job] = scheduler.submit([newJob({ redundancy: 2 })])
    await settle()
    expect(v.jobs().map((f) => f.job_id)).toEqual([job?.id])
    expect(peer.running.map((r) => r.attempt.kind)).toEqual(['copy'])
    pool.report(v.session, { type: 'result', job_id: job!.id, attempt: 1, result: 42, output: '' })
    peer.answer(job!.id, 42)
    expect(store.get(job!.id)).toMatchObject({ status: 'completed', result: 42 })
    expect(scheduler.reputation.of('orch:peer-1')).toMatchObject({ agreed: 1 })
  })
})
