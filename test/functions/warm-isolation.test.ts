/**
 * Warm function contexts on one sandbox thread, for JavaScript and Lua: module-level state lives
 * on between calls of one version and reaches no other version, function or namespace (even with
 * the same code); a context that timed out, hit its memory cap or threw from its top level is not
 * used again; a handler's ordinary error keeps it; the least recently used go past the budget.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { RunnableJob } from '../../shared/agent/agent-ports'
import type { JsonObject } from '../../shared/protocol/json'
import { ThreadExecutor } from '../../shared/sandbox/node/thread-executor'

type Lang = 'js' | 'lua'

const executors: ThreadExecutor[] = []
afterAll(() => Promise.all(executors.map((e) => e.close())))

/** One sandbox thread, so every call below is served by the same thread. */
function thread(options: { warmBudgetBytes?: number; memoryMb?: number } = {}) {
  const executor = new ThreadExecutor({
    threads: 1,
    memoryBytes: (options.memoryMb ?? 32) << 20,
    ...(options.warmBudgetBytes !== undefined && { warmBudgetBytes: options.warmBudgetBytes }),
  })
  executors.push(executor)
  let n = 0
  return {
    executor,
    call: (
      runtime: Lang,
      code: string,
      at: { namespace?: string; path?: string; version?: number },
      input: JsonObject = {},
      timeout_ms = 5000,
    ) => {
      const job: RunnableJob = {
        type: 'job',
        job_id: `w${++n}`,
        attempt: 1,
        job_type: runtime,
        namespace: at.namespace ?? 'alice',
        code,
        input_data: input,
        timeout_ms,
        mode: 'function',
        function: { path: at.path ?? '/f', version: at.version ?? 1, deployed_at: 1000 },
      }
      return executor.execute(job, new AbortController().signal)
    },
  }
}

/** Counts its calls, and on `plant` leaves a global and a mark on a shared prototype. */
const PROBE: Record<Lang, string> = {
  js: `let count = 0
function handle(req) {
  if (req.plant) { globalThis.mark = 'planted'; Object.prototype.planted = 'yes'; String.prototype.shout = () => '!' }
  count++
  return { count, mark: globalThis.mark ?? null, proto: ({}).planted ?? null, str: typeof ''.shout }
}`,
  lua: `local count = 0
function handle(req)
  if req.plant then mark = "planted"; getmetatable("").__index.planted = "yes"; table.shout = true end
  count = count + 1
  return { count = count, mark = mark or false, proto = ("").planted or false, str = table.shout or false }
end`,
}

/** A counter whose handler can spin forever, fill its memory, or throw an ordinary error. */
const HAZARDS: Record<Lang, string> = {
  js: `let count = 0
function handle(req) {
  count++
  if (req.spin) while (true) {}
  if (req.bomb) { const keep = []; while (true) keep.push('x'.repeat(1 << 20) + keep.length) }
  if (req.fail) throw new Error('an ordinary failure')
  return count
}`,
  lua: `local count = 0
function handle(req)
  count = count + 1
  if req.spin then while true do end end
  if req.bomb then local keep = {} while true do keep[#keep + 1] = string.rep("x", 1 << 20) .. #keep end end
  if req.fail then error("an ordinary failure") end
  return count
end`,
}

/** Throws from its top level when the first request asks it to. */
const TOP_LEVEL: Record<Lang, string> = {
  js: `let count = 0
if (INPUT.explode) throw new Error('the top level failed')
function handle(req) { count++; return count }`,
  lua: `local count = 0
if INPUT.explode then error("the top level failed") end
function handle(req) count = count + 1 return count end`,
}

const clean = { count: 1, mark: null, proto: null, str: 'undefined' }
const cleanLua = { count: 1, mark: false, proto: false, str: false }

describe.each(['js', 'lua'] as const)('warm %s contexts on one thread', (runtime) => {
  const { call, executor } = thread()
  const fresh = runtime === 'js' ? clean : cleanLua

  it('keep module-level state between two calls of one version', async () => {
    const code = PROBE[runtime]
    const at = { namespace: 'keeper', path: '/count' }
    expect(await call(runtime, code, at)).toMatchObject({ ok: true, result: { count: 1 } })
    expect(await call(runtime, code, at)).toMatchObject({ ok: true, result: { count: 2 } })
  })

  it('share nothing between versions, functions and namespaces, even with the same code', async () => {
    const code = PROBE[runtime]
    const planted = await call(
      runtime,
      code,
      { namespace: 'eve', path: '/f', version: 1 },
      { plant: true },
    )
    expect(planted).toMatchObject({ ok: true, result: { count: 1, mark: 'planted', proto: 'yes' } })
    for (const other of [
      { namespace: 'eve', path: '/f', version: 2 },
      { namespace: 'eve', path: '/g', version: 1 },
      { namespace: 'bob', path: '/f', version: 1 },
    ]) {
      expect(await call(runtime, code, other), JSON.stringify(other)).toMatchObject({
        ok: true,
        result: fresh,
      })
    }
    // eve's own version still has what it planted.
    const again = await call(runtime, code, { namespace: 'eve', path: '/f', version: 1 })
    expect(again).toMatchObject({ ok: true, result: { count: 2, mark: 'planted', proto: 'yes' } })
  })

  it('do not reuse a context that timed out', async () => {
    const at = { path: '/spin' }
    const replaced = executor.replaced
    expect(await call(runtime, HAZARDS[runtime], at)).toMatchObject({ ok: true, result: 1 })
    const spun = await call(runtime, HAZARDS[runtime], at, { spin: true }, 300)
    expect(spun).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
    expect(await call(runtime, HAZARDS[runtime], at)).toMatchObject({ ok: true, result: 1 })
    // The same thread: the context was discarded, not the thread replaced.
    expect(executor.replaced).toBe(replaced)
  })

  it('do not reuse a context that ran out of memory', async () => {
    const at = { path: '/bomb' }
    const replaced = executor.replaced
    expect(await call(runtime, HAZARDS[runtime], at)).toMatchObject({ ok: true, result: 1 })
    const bombed = await call(runtime, HAZARDS[runtime], at, { bomb: true })
    expect(bombed).toMatchObject({ ok: false, error: { code: 'OUT_OF_MEMORY' } })
    expect(await call(runtime, HAZARDS[runtime], at)).toMatchObject({ ok: true, result: 1 })
    expect(executor.replaced).toBe(replaced)
  })

  it('do not keep a context whose top level threw', async () => {
    const at = { path: '/top' }
    const failed = await call(runtime, TOP_LEVEL[runtime], at, { explode: true })
    expect(failed).toMatchObject({ ok: false, error: { code: 'GUEST_ERROR' } })
    expect(await call(runtime, TOP_LEVEL[runtime], at)).toMatchObject({ ok: true, result: 1 })
    expect(await call(runtime, TOP_LEVEL[runtime], at, { explode: true })).toMatchObject({
      ok: true,
      result: 2,
    })
  })

  it('keep the context when the handler throws an ordinary error, as a Worker isolate does', async () => {
    const at = { path: '/fail' }
    expect(await call(runtime, HAZARDS[runtime], at)).toMatchObject({ ok: true, result: 1 })
    const failed = await call(runtime, HAZARDS[runtime], at, { fail: true })
    expect(failed).toMatchObject({ ok: false, error: { code: 'GUEST_ERROR' } })
    expect(await call(runtime, HAZARDS[runtime], at)).toMatchObject({ ok: true, result: 3 })
  })
})

describe('the warm budget', () => {
  it('evicts the least recently used JavaScript context', async () => {
    // A QuickJS context counts at least 2 MiB: this budget holds two.
    const { call } = thread({ warmBudgetBytes: 5 << 20 })
    const code = 'let n = 0; function handle() { return ++n }'
    expect(await call('js', code, { path: '/one' })).toMatchObject({ result: 1 })
    expect(await call('js', code, { path: '/two' })).toMatchObject({ result: 1 })
    expect(await call('js', code, { path: '/one' })).toMatchObject({ result: 2 })
    // A third context: /two was used least recently, so it goes.
    expect(await call('js', code, { path: '/three' })).toMatchObject({ result: 1 })
    expect(await call('js', code, { path: '/one' })).toMatchObject({ result: 3 })
    expect(await call('js', code, { path: '/two' })).toMatchObject({ result: 1 })
  })

  it('evicts the least recently used Lua state', async () => {
    // Each state keeps a 400 KiB string: this budget holds two.
    const { call } = thread({ warmBudgetBytes: 1 << 20 })
    const code =
      'local keep = string.rep("x", 400 * 1024) local n = 0 function handle() n = n + 1 return n end'
    expect(await call('lua', code, { path: '/one' })).toMatchObject({ result: 1 })
    expect(await call('lua', code, { path: '/two' })).toMatchObject({ result: 1 })
    expect(await call('lua', code, { path: '/one' })).toMatchObject({ result: 2 })
    expect(await call('lua', code, { path: '/three' })).toMatchObject({ result: 1 })
    expect(await call('lua', code, { path: '/one' })).toMatchObject({ result: 3 })
    expect(await call('lua', code, { path: '/two' })).toMatchObject({ result: 1 })
  })

  it('gives a context made in the module an evicted one left nothing of it', async () => {
    // Room for one QuickJS context: bob's evicts eve's, and carol's is made in the module eve's
    // context left.
    const { call } = thread({ warmBudgetBytes: 3 << 20 })
    const code = PROBE.js
    const planted = await call('js', code, { namespace: 'eve' }, { plant: true })
    expect(planted).toMatchObject({ ok: true, result: { mark: 'planted', proto: 'yes' } })
    expect(await call('js', code, { namespace: 'bob' })).toMatchObject({ ok: true, result: clean })
    expect(await call('js', code, { namespace: 'carol' })).toMatchObject({
      ok: true,
      result: clean,
    })
  })

  it('keeps nothing warm with a budget of 0', async () => {
    const { call } = thread({ warmBudgetBytes: 0 })
    const code = 'let n = 0; function handle() { return ++n }'
    expect(await call('js', code, {})).toMatchObject({ result: 1 })
    expect(await call('js', code, {})).toMatchObject({ result: 1 })
  })
})

describe('a thread a Python guest reaches', () => {
  it('drops the warm contexts it held before, its own namespace’s too', async () => {
    const { call, executor } = thread()
    const code = 'let n = 0; function handle() { return ++n }'
    expect(await call('js', code, { namespace: 'eve' })).toMatchObject({ result: 1 })
    expect(await call('js', code, { namespace: 'eve' })).toMatchObject({ result: 2 })
    const python: RunnableJob = {
      type: 'job',
      job_id: 'py',
      attempt: 1,
      job_type: 'python',
      namespace: 'eve',
      code: '1 + 1',
      input_data: null,
      timeout_ms: 60_000,
    }
    expect(await executor.execute(python, new AbortController().signal)).toMatchObject({
      ok: true,
      result: 2,
    })
    const replaced = executor.replaced
    expect(await call('js', code, { namespace: 'eve' })).toMatchObject({ result: 1 })
    expect(executor.replaced).toBe(replaced)
  }, 90_000)
})
