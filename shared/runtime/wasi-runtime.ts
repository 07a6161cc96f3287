/**
 * WebAssembly jobs: WASI preview1 commands run through @bjorn3/browser_wasi_shim, the same code in
 * browsers and Node. `input_data` arrives on stdin as JSON; args and env are the job's; stdout is
 * the output (and the result when it is JSON); stderr is kept; a non-zero exit fails the job.
 * Memory and tables are capped by rewriting the module's declarations (wasm-limits.ts) and `/tmp`
 * has a budget (wasi-tmpfs.ts); the deadline is the owner's to enforce by terminating the worker,
 * since wasm cannot be interrupted from inside.
 */
import { File, OpenFile, WASI, Fd } from '@bjorn3/browser_wasi_shim'
import type { JobError } from '../protocol/job'
import type { JsonValue } from '../protocol/json'
import { tryParseJson } from '../protocol/json'
import { MAX_RESULT_CHARS, MAX_TABLE_ENTRIES, MAX_TMP_BYTES } from './limits'
import { OutputBuffer } from './output-buffer'
import type { GuestOutcome, GuestRuntime, RunControl, RunOutcome, RunRequest } from './runtime'
import { TmpBudget, TmpPreopen } from './wasi-tmpfs'
import { capModule, WasmLimitError } from './wasm-limits'

const COMPILED_CACHE = 16
const PROGRAM_NAME = 'job.wasm'

/** A write-only file descriptor that collects text up to a limit. */
class Collector extends Fd {
  private readonly decoder = new TextDecoder()
  constructor(readonly buffer: OutputBuffer) {
    super()
  }
  override fd_write(data: Uint8Array): { ret: number; nwritten: number } {
    this.buffer.write(this.decoder.decode(data, { stream: true }))
    return { ret: 0, nwritten: data.byteLength }
  }
}

export class WasiRuntime implements GuestRuntime {
  readonly name = 'wasm' as const
  /** Compiled modules by cid and memory cap, so a module compiles once per worker. */
  private readonly compiled = new Map<string, WebAssembly.Module>()
  /** Memory and `/tmp` bytes the last job left behind as garbage, freed at the engine's next GC. */
  private garbage = 0

  /** True when this runtime already holds the module, so its bytes need not be sent again. */
  has(cid: string, memoryBytes: number): boolean {
    return this.compiled.has(`${cid}:${memoryBytes}`)
  }

  /** What the last job left for the garbage collector: the owner may prefer a fresh thread. */
  retainedBytes(): number {
    return this.garbage
  }

  async run(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    this.garbage = 0
    const started = Date.now()
    const stdout = new OutputBuffer(request.outputLimit)
    const stderr = new OutputBuffer(request.outputLimit)
    const finish = (outcome: GuestOutcome, exitCode?: number): RunOutcome => ({
      ...outcome,
      output: stdout.toString(),
      stderr: stderr.toString(),
      durationMs: Date.now() - started,
      ...(exitCode !== undefined && { exitCode }),
    })
    const command = request.wasm
    if (!command)
      return finish({
        ok: false,
        error: { code: 'GUEST_ERROR', message: 'a wasm job needs a module' },
      })

    let module: WebAssembly.Module
    try {
      module = await this.module(command.cid, command.bytes, request.memoryBytes)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      const code = err instanceof WasmLimitError ? err.code : 'GUEST_ERROR'
      return finish({
        ok: false,
        error: { code, message: `the module cannot be compiled: ${message}` },
      })
    }
    if (Date.now() > control.deadline || control.isCancelled()) {
      return finish({
        ok: false,
        error: { code: 'TIMEOUT', message: 'job exceeded its timeout before it started' },
      })
    }

    const stdin = new OpenFile(
      new File(new TextEncoder().encode(JSON.stringify(request.input ?? {})), { readonly: true }),
    )
    const env = Object.entries(command.env).map(([k, v]) => `${k}=${v}`)
    const fds: Fd[] = [stdin, new Collector(stdout), new Collector(stderr)]
    const tmp = new TmpBudget(fds)
    fds.push(new TmpPreopen('/tmp', tmp))
    // The shim keeps this very array as its descriptor table, so the budget sees every open file.
    const wasi = new WASI([PROGRAM_NAME, ...command.args], env, fds, { debug: false })

    const missing = WebAssembly.Module.imports(module).find(
      (i) => i.module !== 'wasi_snapshot_preview1' || !(i.name in wasi.wasiImport),
    )
    if (missing) {
      const message = `the module imports ${missing.module}.${missing.name}, which this runtime does not provide (only wasi_snapshot_preview1)`
      return finish({ ok: false, error: { code: 'GUEST_ERROR', message } })
    }
    let instance: WebAssembly.Instance
    try {
      instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport })
    } catch (err) {
      return finish({ ok: false, error: { code: 'GUEST_ERROR', message: linkMessage(err) } })
    }
    const exports = instance.exports as { memory?: WebAssembly.Memory; _start?: () => unknown }
    if (typeof exports._start !== 'function' || !(exports.memory instanceof WebAssembly.Memory)) {
      return finish({
        ok: false,
        error: {
          code: 'GUEST_ERROR',
          message: 'the module is not a WASI command: it needs to export `_start` and `memory`',
        },
      })
    }

    let exitCode: number
    try {
      exitCode = wasi.start(instance as unknown as Parameters<WASI['start']>[0])
    } catch (err) {
      return finish({ ok: false, error: trapError(err, request.memoryBytes) })
    } finally {
      this.garbage = exports.memory.buffer.byteLength + tmp.held()
    }
    const text = stdout.toString()
    if (exitCode !== 0) {
      const tail = stderr.toString().trim().split('\n').slice(-3).join('\n')
      const full = tmp.full
        ? ` (/tmp was full: a job may keep ${MAX_TMP_BYTES >> 20} MiB there)`
        : ''
      return finish(
        {
          ok: false,
          error: {
            code: 'GUEST_ERROR',
            message: `the program exited with code ${exitCode}${tail ? `: ${tail}` : ''}${full}`,
          },
        },
        exitCode,
      )
    }
    if (text.length > MAX_RESULT_CHARS) {
      return finish(
        {
          ok: false,
          error: {
            code: 'RESULT_TOO_LARGE',
            message: `stdout is ${text.length} characters; the limit is ${MAX_RESULT_CHARS}`,
          },
        },
        exitCode,
      )
    }
    const parsed = text.trim() ? tryParseJson(text) : undefined
    return finish({ ok: true, result: (parsed ?? null) as JsonValue }, exitCode)
  }

  private async module(
    cid: string,
    bytes: Uint8Array | undefined,
    memoryBytes: number,
  ): Promise<WebAssembly.Module> {
    const key = `${cid}:${memoryBytes}`
    const cached = this.compiled.get(key)
    if (cached) return cached
    if (!bytes) throw new Error(`module ${cid} was not sent with the job`)
    const capped = capModule(bytes, { memoryBytes, tableEntries: MAX_TABLE_ENTRIES })
    const module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>)
    if (this.compiled.size >= COMPILED_CACHE)
      this.compiled.delete(this.compiled.keys().next().value as string)
    this.compiled.set(key, module)
    return module
  }
}

function linkMessage(err: unknown): string {
  return `the module cannot be instantiated: ${err instanceof Error ? err.message : String(err)}`
}

function trapError(err: unknown, memoryBytes: number): JobError {
  if (err instanceof WasmLimitError) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RangeError && /call stack/i.test(message))
    return { code: 'STACK_OVERFLOW', message: 'the module recursed too deeply' }
  if (/out of memory|memory access out of bounds|Cannot allocate/i.test(message)) {
    return {
      code: 'OUT_OF_MEMORY',
      message: `the module ran out of memory or accessed beyond it (cap ${Math.round(memoryBytes / 1048576)} MiB): ${message}`,
    }
  }
  return { code: 'GUEST_ERROR', message: `the module trapped: ${message}` }
}
