/**
 * Cron triggers as the API and GitOps use them: put, remove, list, read; and firing them from the
 * orchestrator's tick. The next due time of each trigger is kept in memory, so a tick looks at the
 * store only when something is due. A tick is claimed in the store (cron-store.ts `claim`) before
 * its target starts, so each tick runs once, also across a restart; targets start idempotently
 * (cron-targets.ts), so a start a crash cut off is finished once the orchestrator is back.
 */
import { NAMESPACE_PATTERN } from '../../../shared/protocol/job'
import { HttpError, badRequest } from '../http-error'
import type { Logger } from '../observability/logger'
import { CronName, scheduleProblem, timezoneProblem, type CronBody } from './cron-schemas'
import { CRON_HISTORY, type CronRecord, type CronRunRecord, type CronStore } from './cron-store'
import {
  callTarget,
  checkTarget,
  cronRunId,
  kindOf,
  startTarget,
  type CronStart,
  type CronTargetDeps,
} from './cron-targets'
import { CronTicks } from './cron-ticks'
import { cronRunView, cronView, type RunStatusLookups } from './cron-views'

/** Triggers one namespace may have: each may start work every second. */
export const MAX_CRONS_PER_NAMESPACE = 100
/** Runs a listing shows per trigger; reading one trigger shows its whole history. */
const LISTED_RUNS = 5

export interface CronServiceDeps extends CronTargetDeps {
  store: CronStore
  logger?: Logger | undefined
}

interface Due {
  namespace: string
  name: string
  ticks: CronTicks
  /** The next tick not yet claimed; undefined when the schedule has no more. */
  at: number | undefined
}

const keyOf = (namespace: string, name: string) => `${namespace}\u0000${name}`
const notFound = (namespace: string, name: string) =>
  new HttpError(404, 'CRON_NOT_FOUND', `no cron trigger '${name}' in namespace '${namespace}'`)

export class CronService {
  readonly #due = new Map<string, Due>()
  #earliest = Infinity
  /** Ticks before this came due while this orchestrator was not there (see `#fire`). */
  readonly #startedAt: number
  readonly #lookups: RunStatusLookups

  constructor(
    private readonly deps: CronServiceDeps,
    now = Date.now(),
  ) {
    this.#startedAt = now
    this.#lookups = {
      job: (id) => deps.jobs.get(id)?.status,
      workflowRun: (id) => {
        try {
          return deps.workflows.run(id).status
        } catch {
          return undefined
        }
      },
    }
    for (const trigger of deps.store.all()) {
      try {
        this.#track(trigger)
      } catch (err) {
        // A stored schedule this croner cannot read (a downgrade) must not keep the orchestrator
        // from starting: that trigger waits, logged, until it is put again.
        const { namespace, name } = trigger
        deps.logger?.error('cron trigger not scheduled', { namespace, name, error: err })
      }
    }
    this.#recover()
  }

  /**
   * Creates or replaces a trigger (throws a 400 HttpError naming the field for a bad one). A
   * replaced trigger with the same schedule and zone keeps its place; another starts from now.
   */
  put(namespace: string, name: string, body: CronBody, now = Date.now()): { created: boolean } {
    if (!NAMESPACE_PATTERN.test(namespace))
      throw badRequest(
        'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
        'namespace',
      )
    if (!CronName.safeParse(name).success)
      throw badRequest('name must be 1 to 32 letters, digits, _ and -', 'name')
    const zone = timezoneProblem(body.timezone)
    if (zone) throw badRequest(`timezone ${zone}`, 'timezone')
    const problem = scheduleProblem(body.schedule, body.timezone)
    if (problem) throw badRequest(`schedule: ${problem}`, 'schedule')
    checkTarget(this.deps, namespace, body.target)
    const { store } = this.deps
    const existing = store.get(namespace, name)
    if (!existing && store.count(namespace) >= MAX_CRONS_PER_NAMESPACE)
      throw new HttpError(
        429,
        'QUOTA_EXCEEDED',
        `namespace '${namespace}' may have at most ${MAX_CRONS_PER_NAMESPACE} cron triggers: delete one first`,
        { quota: 'cron_triggers', limit: MAX_CRONS_PER_NAMESPACE },
      )
    const sameClock =
      existing?.body.schedule === body.schedule && existing.body.timezone === body.timezone
    const lastTick = sameClock ? existing.last_tick : Math.max(existing?.last_tick ?? 0, now)
    const created = store.put(namespace, name, body, lastTick, now)
    this.#track({ namespace, name, body, last_tick: lastTick, created_at: now, updated_at: now })
    return { created }
  }

  /** Removes a trigger and its history; false when there was none. A run going on goes on. */
  remove(namespace: string, name: string): boolean {
    const removed = this.deps.store.remove(namespace, name)
    this.#due.delete(keyOf(namespace, name))
    this.#recompute()
    return removed
  }

  /** The names of the namespace's triggers, sorted. */
  names(namespace: string): string[] {
    return this.deps.store.list(namespace).map((t) => t.name)
  }

  /** The namespace's triggers, each with its next run and its newest runs. */
  list(namespace: string) {
    const crons = this.deps.store.list(namespace).map((trigger) => this.#view(trigger, LISTED_RUNS))
    return { crons, total: crons.length }
  }

  /** One trigger with its whole kept history (404 when there is none). */
  view(namespace: string, name: string) {
    const trigger = this.deps.store.get(namespace, name)
    if (!trigger) throw notFound(namespace, name)
    return this.#view(trigger, CRON_HISTORY)
  }

  /** When the next tick of any trigger here is due (the Workers host sets its alarm by it). */
  nextDue(): number | undefined {
    return this.#earliest === Infinity ? undefined : this.#earliest
  }

  /** Fires what came due: cheap when nothing did (one comparison). */
  tick(now = Date.now()): void {
    if (now < this.#earliest) return
    for (const due of [...this.#due.values()]) {
      if (due.at === undefined || due.at > now) continue
      try {
        this.#fire(due, now)
      } catch (err) {
        // A bug must not stop the clock for every other trigger (nor the process): it waits an
        // interval and is tried again then.
        const { namespace, name } = due
        this.deps.logger?.error('cron trigger could not fire', { namespace, name, error: err })
        due.at = due.ticks.next(now)
      }
    }
    this.#recompute()
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #view(trigger: CronRecord, runs: number) {
    const due = this.#due.get(keyOf(trigger.namespace, trigger.name))
    const history = this.deps.store
      .runs(trigger.namespace, trigger.name, runs)
      .map((run) => cronRunView(run, this.#lookups))
    return cronView(trigger, due?.at, history)
  }

  #track(trigger: CronRecord): void {
    const ticks = new CronTicks(trigger.body.schedule, trigger.body.timezone)
    const { namespace, name } = trigger
    this.#due.set(keyOf(namespace, name), {
      namespace,
      name,
      ticks,
      at: ticks.next(trigger.last_tick),
    })
    this.#recompute()
  }

  #recompute(): void {
    let earliest = Infinity
    for (const due of this.#due.values())
      if (due.at !== undefined && due.at < earliest) earliest = due.at
    this.#earliest = earliest
  }

  /**
   * Claims and runs what came due. Ticks that came due before this orchestrator started were
   * missed, unless the latest of them is not late (cron-ticks.ts `isLate`: a Workers room woken
   * by its alarm for that tick, or a slow start), which runs on time: the missed ones collapse
   * into their latest, which `missed: "once"` runs (marked missed) and `"skip"` only moves past. Then the latest tick since is run; earlier ones
   * that came due together (a stall) collapse into it.
   */
  #fire(due: Due, now: number): void {
    const trigger = this.deps.store.get(due.namespace, due.name)
    if (!trigger) {
      this.#due.delete(keyOf(due.namespace, due.name))
      return
    }
    let mark = trigger.last_tick
    if (mark < this.#startedAt) {
      const before = due.ticks.latestDue(mark, Math.min(now, this.#startedAt - 1))
      if (before !== undefined) {
        const late = due.ticks.isLate(before, now)
        // The latest came due just before the start (a slow start, or the alarm for it): the
        // ticks before it were still missed, and collapse into theirs.
        const earlier = late ? undefined : due.ticks.latestDue(mark, before - 1)
        if (earlier !== undefined) this.#claim(trigger, earlier, true, now)
        this.#claim(trigger, before, late, now)
        mark = before
      }
    }
    const latest = due.ticks.latestDue(mark, now)
    if (latest !== undefined) this.#claim(trigger, latest, false, now)
    due.at = due.ticks.next(latest ?? mark)
  }

  /** Claims `tick` and starts its run, unless it was missed and the trigger skips those. */
  #claim(trigger: CronRecord, tick: number, missed: boolean, now: number): void {
    const { store, logger } = this.deps
    const runs = !missed || trigger.body.missed === 'once'
    const target = trigger.body.target
    const claim = runs ? { kind: kindOf(target), missed } : undefined
    if (!store.claim(trigger.namespace, trigger.name, tick, claim, now)) return
    const run = { namespace: trigger.namespace, name: trigger.name, tick }
    const id = cronRunId(trigger.name, tick)
    if (!runs) {
      logger?.info('cron ticks missed and skipped', { ...run, id })
      return
    }
    logger?.info('cron tick fired', { ...run, id, missed })
    void this.#start(run, trigger.body)
  }

  /** Starts (or calls) the run's target and records what became of it. */
  async #start(run: Pick<CronRunRecord, 'namespace' | 'name' | 'tick'>, body: CronBody) {
    const { store } = this.deps
    let outcome: CronStart
    try {
      const target = body.target
      if ('function' in target) {
        store.update(run, { status: 'running' })
        outcome = await callTarget(this.deps, run, target)
      } else {
        const stillThere = () => store.get(run.namespace, run.name) !== undefined
        outcome = await startTarget(this.deps, run, target, stillThere)
      }
    } catch (err) {
      this.deps.logger?.error('cron run could not start', { ...run, error: err })
      outcome = {
        status: 'failed',
        error: { code: 'INTERNAL', message: 'the run failed to start' },
      }
    }
    const ended = outcome.status === 'failed' || outcome.status === 'completed'
    store.update(run, { ...outcome, ...(ended && { finished_at: Date.now() }) })
    if (outcome.status === 'failed')
      this.deps.logger?.warn('cron run failed', { ...run, error: outcome.error })
  }

  /**
   * After a restart: a tick claimed but not started is started now (its job or workflow run, by
   * its id, is made once). A function call that was out, or not yet made, is not made again: a
   * call cannot be told apart from one already answered, so a cron calls a function at most once.
   */
  #recover(): void {
    const { store } = this.deps
    for (const run of store.unfinished()) {
      const trigger = store.get(run.namespace, run.name)
      if (!trigger) continue
      if (run.kind !== kindOf(trigger.body.target)) {
        store.update(run, {
          status: 'failed',
          error: { code: 'TARGET_CHANGED', message: 'the trigger was replaced before it started' },
          finished_at: Date.now(),
        })
        continue
      }
      if (run.kind === 'function' || run.status === 'running') {
        store.update(run, {
          status: 'failed',
          error: { code: 'INTERRUPTED', message: 'the orchestrator stopped during the call' },
          finished_at: Date.now(),
        })
        continue
      }
      void this.#start(run, trigger.body)
    }
  }
}
