/**
 * Issue 3's figures, in one run: per-runtime cold start (first job on a fresh sandbox thread) and
 * warm per-job cost, the interpreters' own per-job setup measured in-process, and a compute-bound
 * C kernel built both for wasm32-wasi (clang) and natively (gcc), timed both ways. Issue 16's: CPU
 * per function call in a fresh context and in a warm one, and per Lua job compiled once or not.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadPyodide } from 'pyodide'
import wabtInit from 'wabt'
import type { RunnableJob } from '../../shared/agent/volunteer-agent'
import { cidOf } from '../../shared/protocol/cid'
import type { Runtime, SandboxRuntime } from '../../shared/protocol/job'
import { LuaRuntime } from '../../shared/runtime/lua-runtime'
import { PythonRuntime, type LoadPyodide } from '../../shared/runtime/python-runtime'
import { QuickJsRuntime } from '../../shared/runtime/quickjs-runtime'
import type { GuestRuntime, RunRequest } from '../../shared/runtime/runtime'
import { WasiRuntime } from '../../shared/runtime/wasi-runtime'
import { ThreadExecutor } from '../../shared/sandbox/node/thread-executor'
import { percentile, round } from '../lib/stats'
import { warmCallCosts, type CallCosts } from '../lib/warm-calls'
import type { Suite } from './suite'

const ROOT = path.resolve(import.meta.dirname, '../..')
const TRIVIAL: Record<SandboxRuntime, string> = {
  js: '1 + 1',
  lua: 'return 1 + 1',
  python: '1 + 1',
  wasm: '',
}

async function watModule(name: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const source = readFileSync(path.join(ROOT, `test/fixtures/wasm/${name}.wat`), 'utf8')
  return new Uint8Array(wabt.parseWat(`${name}.wat`, source).toBinary({}).buffer)
}

let n = 0
function job(
  runtime: Runtime,
  code: string,
  wasm?: { cid: string; bytes: Uint8Array; args?: string[] },
  timeoutMs = 60_000,
): RunnableJob {
  return {
    type: 'job',
    job_id: `bench-${++n}`,
    attempt: 1,
    job_type: runtime,
    namespace: 'bench',
    code,
    input_data: null,
    timeout_ms: timeoutMs,
    ...(wasm && { wasm_cid: wasm.cid, wasm_bytes: wasm.bytes, args: wasm.args ?? [], env: {} }),
  }
}

/** In-process per-job cost of a runtime: what a warm sandbox pays for each trivial job. */
async function inProcess(runtime: GuestRuntime, request: RunRequest, count: number) {
  const control = { deadline: Date.now() + 3_600_000, isCancelled: () => false }
  for (let i = 0; i < Math.min(50, count); i++) await runtime.run(request, control)
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await runtime.run(request, control)
    samples.push(performance.now() - t)
  }
  return { p50Ms: round(percentile(samples, 50), 3), p99Ms: round(percentile(samples, 99), 3) }
}

/** Cold: a fresh executor's first job. Warm: the same thread's following jobs, round trip included. */
async function throughThread(make: () => RunnableJob, warmCount: number) {
  const executor = new ThreadExecutor({ threads: 1 })
  const signal = new AbortController().signal
  try {
    const t = performance.now()
    const first = await executor.execute(make(), signal)
    if (!first.ok) throw new Error(`cold job failed: ${first.error.message}`)
    const coldMs = performance.now() - t
    const samples: number[] = []
    for (let i = 0; i < warmCount; i++) {
      const s = performance.now()
      await executor.execute(make(), signal)
      samples.push(performance.now() - s)
    }
    return {
      coldMs: round(coldMs, 1),
      warmP50Ms: round(percentile(samples, 50), 3),
      warmP99Ms: round(percentile(samples, 99), 3),
    }
  } finally {
    await executor.close()
  }
}

const LOOPS: Record<SandboxRuntime, string> = {
  js: 'while (true) {}',
  lua: 'while true do end',
  python: 'while True:\n    pass',
  wasm: '',
}

/** How far past a 1 s timeout each runtime's guest runs before its outcome is in (target: ≤ 1.2×). */
async function deadlines(spin: { cid: string; bytes: Uint8Array }) {
  const results: Record<
    string,
    { timeoutMs: number; stoppedAfterMs: number; ratio: number; code: string }
  > = {}
  for (const runtime of ['js', 'lua', 'python', 'wasm'] as const) {
    const executor = new ThreadExecutor({ threads: 1 })
    try {
      await executor.execute(
        job(runtime, TRIVIAL[runtime], runtime === 'wasm' ? spin : undefined),
        new AbortController().signal,
      ) // warm up
      const t = performance.now()
      const out = await executor.execute(
        job(runtime, LOOPS[runtime], runtime === 'wasm' ? spin : undefined, 1000),
        new AbortController().signal,
      )
      const elapsed = performance.now() - t
      results[runtime] = {
        timeoutMs: 1000,
        stoppedAfterMs: round(elapsed, 1),
        ratio: round(elapsed / 1000),
        code: out.ok ? 'completed' : out.error.code,
      }
    } finally {
      await executor.close()
    }
  }
  return results
}

interface Kernel {
  name: string
  args: string[]
}

const KERNELS: Kernel[] = [
  { name: 'mandel', args: ['1600'] },
  { name: 'sieve', args: ['40000000', '4'] },
]

function haveWasiToolchain(): boolean {
  return (
    spawnSync('clang', ['--version']).status === 0 && spawnSync('gcc', ['--version']).status === 0
  )
}

async function compute(log: (s: string) => void) {
  if (!haveWasiToolchain())
    return {
      skipped:
        'clang (wasm32-wasi) or gcc not installed: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32',
    }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zv-kernels-'))
  const executor = new ThreadExecutor({ threads: 1, memoryBytes: 256 << 20 })
  try {
    const results: Record<string, unknown> = {}
    for (const kernel of KERNELS) {
      const source = path.join(ROOT, 'bench/kernels', `${kernel.name}.c`)
      const wasmPath = path.join(dir, `${kernel.name}.wasm`)
      const nativePath = path.join(dir, kernel.name)
      execFileSync('clang', ['--target=wasm32-wasi', '-O2', '-o', wasmPath, source])
      execFileSync('gcc', ['-O2', '-o', nativePath, source])
      log(`compute: ${kernel.name}`)
      const nativeTimes: number[] = []
      let nativeOut = ''
      for (let i = 0; i < 3; i++) {
        const t = performance.now()
        nativeOut = execFileSync(nativePath, kernel.args, { encoding: 'utf8' })
        nativeTimes.push(performance.now() - t)
      }
      const bytes = new Uint8Array(readFileSync(wasmPath))
      const wasm = { cid: await cidOf(bytes), bytes, args: kernel.args }
      const wasmTimes: number[] = []
      let wasmOut = ''
      for (let i = 0; i < 3; i++) {
        const t = performance.now()
        const out = await executor.execute(
          job('wasm', '', wasm, 300_000),
          new AbortController().signal,
        )
        if (!out.ok) throw new Error(`${kernel.name}.wasm failed: ${out.error.message}`)
        wasmTimes.push(performance.now() - t)
        wasmOut = out.output
      }
      const nativeMs = Math.min(...nativeTimes)
      const wasmMs = Math.min(...wasmTimes)
      results[kernel.name] = {
        args: kernel.args,
        nativeMs: round(nativeMs, 1),
        wasmMs: round(wasmMs, 1),
        speedVsNative: round(nativeMs / wasmMs),
        sameAnswer: nativeOut.trim() === wasmOut.trim(),
      }
    }
    return results
  } finally {
    await executor.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export const runtimes: Suite = {
  name: 'runtimes',
  async run(log) {
    const echo = await watModule('echo')
    const echoWasm = { cid: await cidOf(echo), bytes: echo }
    const base = {
      namespace: 'bench',
      input: null,
      timeoutMs: 60_000,
      memoryBytes: 128 << 20,
      outputLimit: 1 << 20,
    } as const

    log('in-process per-job setup')
    const js = await QuickJsRuntime.load()
    const lua = await LuaRuntime.load()
    const wasi = new WasiRuntime()
    const python = await PythonRuntime.load(loadPyodide as unknown as LoadPyodide)
    const setup = {
      js: await inProcess(js, { ...base, runtime: 'js', code: TRIVIAL.js }, 2000),
      lua: await inProcess(lua, { ...base, runtime: 'lua', code: TRIVIAL.lua }, 2000),
      python: await inProcess(python, { ...base, runtime: 'python', code: TRIVIAL.python }, 500),
      wasm: await inProcess(
        wasi,
        { ...base, runtime: 'wasm', code: '', wasm: { ...echoWasm, args: [], env: {} } },
        2000,
      ),
    }

    const threads: Record<string, unknown> = {}
    for (const runtime of ['js', 'lua', 'wasm'] as const) {
      log(`${runtime}: cold and warm through a sandbox thread`)
      threads[runtime] = await throughThread(
        () => job(runtime, TRIVIAL[runtime], runtime === 'wasm' ? echoWasm : undefined),
        500,
      )
    }
    log('python: cold (no snapshot yet), then cold from the snapshot the first thread made')
    threads.python = await throughThread(() => job('python', TRIVIAL.python), 200)
    threads.pythonFromSnapshot = await throughThread(() => job('python', TRIVIAL.python), 200)

    log('function calls and jobs in-process: fresh against warm, CPU per run')
    const calls = await warmCallCosts()

    log('deadlines: an endless guest with timeout 1 s, per runtime')
    const spinBytes = await watModule('spin')
    const deadline = await deadlines({ cid: await cidOf(spinBytes), bytes: spinBytes })

    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      setupInProcess: setup,
      throughThread: threads,
      callsInProcess: calls,
      deadlines: deadline,
      compute: await compute(log),
    }
  },
  table(result) {
    const r = result as {
      setupInProcess: Record<string, { p50Ms: number; p99Ms: number }>
      throughThread: Record<string, { coldMs: number; warmP50Ms: number; warmP99Ms: number }>
      compute:
        | Record<
            string,
            {
              nativeMs: number
              wasmMs: number
              speedVsNative: number
              sameAnswer: boolean
              args: string[]
            }
          >
        | { skipped: string }
    }
    const rows = [
      '| runtime | per-job setup in-process (p50 / p99) | cold: first job on a fresh thread | warm job through the thread (p50 / p99) |',
      '|---|---|---|---|',
    ]
    for (const name of ['js', 'lua', 'python', 'wasm']) {
      const s = r.setupInProcess[name]
      const t = r.throughThread[name]
      rows.push(
        `| ${name} | ${s?.p50Ms} / ${s?.p99Ms} ms | ${t?.coldMs} ms | ${t?.warmP50Ms} / ${t?.warmP99Ms} ms |`,
      )
    }
    const snap = r.throughThread.pythonFromSnapshot
    rows.push(
      `| python (from snapshot) | | ${snap?.coldMs} ms | ${snap?.warmP50Ms} / ${snap?.warmP99Ms} ms |`,
    )
    rows.push('', '| in-process, per run | CPU | wall |', '|---|---|---|')
    const calls = (r as unknown as { callsInProcess?: CallCosts }).callsInProcess ?? {}
    for (const [name, c] of Object.entries(calls))
      rows.push(`| ${name} | ${c.cpuUs} µs | ${c.wallUs} µs |`)
    const d = (
      r as unknown as {
        deadlines: Record<string, { stoppedAfterMs: number; ratio: number; code: string }>
      }
    ).deadlines
    rows.push(
      '',
      '| endless guest, timeout 1 s | outcome after | × timeout | outcome |',
      '|---|---|---|---|',
    )
    for (const [name, x] of Object.entries(d))
      rows.push(`| ${name} | ${x.stoppedAfterMs} ms | ${x.ratio} | ${x.code} |`)
    rows.push(
      '',
      '| compute kernel (C) | native gcc -O2 | wasm32-wasi clang -O2 via WASI shim | speed vs native | same answer |',
      '|---|---|---|---|---|',
    )
    if ('skipped' in r.compute) rows.push(`| skipped: ${r.compute.skipped} | | | | |`)
    else
      for (const [name, k] of Object.entries(r.compute))
        rows.push(
          `| ${name} ${k.args.join(' ')} | ${k.nativeMs} ms | ${k.wasmMs} ms | ${k.speedVsNative} | ${k.sameAnswer} |`,
        )
    return rows.join('\n')
  },
}
