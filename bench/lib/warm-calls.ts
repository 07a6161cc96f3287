/**
 * Issue 16's in-process figures: the CPU a sandbox thread spends per trivial function call with a
 * fresh context each time against a warm one, and per Lua job when its code was compiled before
 * against new code each time. Cases alternate round by round, so the machine's noise spreads over
 * all of them; CPU time (process.cpuUsage, this process runs nothing else meanwhile) is reported.
 */
import { LuaRuntime } from '../../shared/runtime/lua-runtime'
import { QuickJsRuntime } from '../../shared/runtime/quickjs-runtime'
import type { GuestRuntime, RunRequest } from '../../shared/runtime/runtime'
import { percentile, round } from './stats'

const HELLO = {
  js: 'function handle(req) { return { status: 200, body: "Hello, " + req.query.name + "!" } }',
  lua: 'function handle(req) return { status = 200, body = "Hello, " .. req.query.name .. "!" } end',
}

const REQUEST = { method: 'GET', path: '/hello', query: { name: 'World' }, headers: {}, body: '' }

interface Case {
  name: string
  runtime: GuestRuntime
  request: (i: number) => RunRequest
}

/** µs of CPU and of wall time per run, medians over the rounds. */
export type CallCosts = Record<string, { cpuUs: number; wallUs: number }>

export async function warmCallCosts(calls = 2000, rounds = 5): Promise<CallCosts> {
  const js = await QuickJsRuntime.load()
  const lua = await LuaRuntime.load()
  const base = {
    namespace: 'bench',
    timeoutMs: 60_000,
    memoryBytes: 128 << 20,
    outputLimit: 1 << 20,
  }
  const call = (runtime: 'js' | 'lua', warm: boolean) => (): RunRequest => ({
    ...base,
    runtime,
    mode: 'function',
    code: HELLO[runtime],
    input: REQUEST,
    ...(warm && { warm: { key: `["bench","/hello",1,0]` } }),
  })
  const cases: Case[] = [
    { name: 'js function, fresh context per call', runtime: js, request: call('js', false) },
    { name: 'js function, warm context', runtime: js, request: call('js', true) },
    { name: 'lua function, fresh state per call', runtime: lua, request: call('lua', false) },
    { name: 'lua function, warm state', runtime: lua, request: call('lua', true) },
    {
      name: 'lua job, the same code each time (compiled once)',
      runtime: lua,
      request: () => ({ ...base, runtime: 'lua', code: 'return 1 + 1', input: null }),
    },
    {
      name: 'lua job, new code each time (compiled each time)',
      runtime: lua,
      request: (i) => ({ ...base, runtime: 'lua', code: `return 1 + ${i}`, input: null }),
    },
    {
      name: 'js job, the same code each time',
      runtime: js,
      request: () => ({ ...base, runtime: 'js', code: '1 + 1', input: null }),
    },
  ]
  const control = { deadline: Date.now() + 3_600_000, isCancelled: () => false }
  const samples = new Map<string, { cpu: number[]; wall: number[] }>()
  let serial = 0
  for (let round = 0; round < rounds + 1; round++) {
    for (const c of cases) {
      const t = performance.now()
      const cpu = process.cpuUsage()
      for (let i = 0; i < calls; i++) {
        const out = await c.runtime.run(c.request(++serial), control)
        if (!out.ok) throw new Error(`${c.name}: ${out.error.message}`)
      }
      const used = process.cpuUsage(cpu)
      const wall = performance.now() - t
      // The first round warms caches and the JIT up; it is not counted.
      if (round === 0) continue
      const s = samples.get(c.name) ?? { cpu: [], wall: [] }
      s.cpu.push((used.user + used.system) / calls)
      s.wall.push((wall * 1000) / calls)
      samples.set(c.name, s)
    }
  }
  const costs: CallCosts = {}
  for (const [name, s] of samples)
    costs[name] = {
      cpuUs: round(percentile(s.cpu, 50), 1),
      wallUs: round(percentile(s.wall, 50), 1),
    }
  return costs
}
