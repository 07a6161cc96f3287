/**
 * Python jobs on Pyodide (CPython compiled to wasm, loaded from its npm package or the host's own
 * copy, never a CDN). One warm interpreter per worker serves one namespace: each job gets fresh
 * globals, a function version (`RunRequest.warm`) keeps globals of its own between its calls, and
 * after every call a reset undoes what it changed in shared modules (python-reset.ts); a job from
 * another namespace needs a fresh interpreter, which the owner provides (from a memory snapshot,
 * ~0.2 s instead of ~2 s).
 */
import type { HostBridge } from '../protocol/host-call'
import type { JobError } from '../protocol/job'
import { tryParseJson, type JsonValue } from '../protocol/json'
import { guestLine } from './guest-error'
import { hostCallFromGuest, progressFromGuest } from './host-dispatch'
import { resultTooLarge } from './limits'
import { limitGrowth } from './memory-cap'
import { PythonJsBudget } from './python-js-budget'
import { OutputBuffer } from './output-buffer'
import { PYTHON_PRELUDE } from './python-prelude'
import { PYTHON_RESET } from './python-reset'
import { PYTHON_WARM } from './python-warm'
import {
  stopReason,
  type GuestOutcome,
  type GuestRuntime,
  type RunControl,
  type RunOutcome,
  type RunRequest,
} from './runtime'

/** The slice of Pyodide's API this runtime uses (typed here so shared/ stays host-neutral). */
export interface Pyodide {
  runPython(code: string, options?: { globals?: unknown }): unknown
  pyimport(name: string): PythonHalf
  setStdout(options: { write: (bytes: Uint8Array) => number }): void
  setStderr(options: { write: (bytes: Uint8Array) => number }): void
  setInterruptBuffer(buffer: Int32Array): void
  makeMemorySnapshot(): Uint8Array
  unregisterJsModule(name: string): void
  registerJsModule(name: string, module: object): void
  _module: { HEAP8: Int8Array }
}

/** The functions of the prelude's `_zerverless` module this side calls. */
interface PythonHalf {
  run(code: string, input: string, mode: string, secrets: string): string
  call(key: string, code: string, input: string): string
  after_call(): void
  forget(key: string): void
  held(): number
  evict(keepBytes: number): void
  baseline(): void
}

interface PyodideLoadOptions {
  jsglobals: object
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string>
  _makeSnapshot?: boolean
  _loadSnapshot?: Uint8Array
  indexURL?: string
}

export type LoadPyodide = (options: PyodideLoadOptions) => Promise<Pyodide>

interface PythonReport {
  ok: boolean
  result?: JsonValue
  kind?: string
  message?: string
  line?: number | null
  traceback?: string
}

export class PythonRuntime implements GuestRuntime {
  readonly name = 'python' as const
  /** The namespace whose jobs this interpreter has run; another one needs a fresh interpreter. */
  owner: string | undefined
  private output: OutputBuffer | undefined
  private errors: OutputBuffer | undefined
  /** The stop flag Pyodide polls, and one of its own where the host has no shared memory. */
  private installedFlag: Int32Array | undefined
  /** What the warm contexts held after the last call (`warmBytes`). */
  private warmHeld = 0
  private readonly ownFlag = new Int32Array(1)
  /** The current job's line to the host, for `db` calls. */
  private host: HostBridge | undefined
  private readonly decoder = new TextDecoder()
  /** The prelude's functions, captured once: a guest that rebinds them changes nothing here. */
  private readonly zerverless: PythonHalf
  /** Pyodide keeps its Memory to itself; its heap is the memory whose buffer HEAP8 views. */
  private readonly growth = limitGrowth(
    (memory) => memory.buffer === this.pyodide._module.HEAP8.buffer,
  )
  /** What the job keeps on the JS side of the FFI, where no wasm cap reaches. */
  private readonly jsBudget = new PythonJsBudget(() => this.pyodide._module)

  private constructor(
    readonly pyodide: Pyodide,
    /** The wasm heap size right after loading: what a job's memory cap is added to. */
    readonly baseBytes: number,
    /** A memory snapshot of the freshly loaded interpreter, when one was asked for. */
    readonly initialSnapshot: Uint8Array | undefined,
  ) {
    // The one JS object Python gets on purpose: frozen, with no prototype, and strings both ways.
    const call = (text: unknown): string =>
      JSON.stringify(
        typeof text === 'string'
          ? hostCallFromGuest(this.host, text)
          : { ok: false, error: 'a db call is JSON text' },
      )
    // Checked again here: Python's own checks run in the guest's realm. '' means it was fine.
    const progress = (fraction: unknown, message: unknown): string =>
      progressFromGuest(this.host, fraction, message) ?? ''
    const line = { call: Object.freeze(call), progress: Object.freeze(progress) }
    pyodide.registerJsModule(
      '_zerverless_host',
      Object.freeze(Object.assign(Object.create(null) as object, line)),
    )
    pyodide.setStdout({ write: (bytes) => this.write(this.output, bytes) })
    pyodide.setStderr({ write: (bytes) => this.write(this.errors, bytes) })
    const source = PYTHON_RESET + PYTHON_PRELUDE + PYTHON_WARM
    pyodide.runPython(
      `import sys, types\n_m = types.ModuleType('_zerverless')\nexec(${JSON.stringify(source)}, _m.__dict__)\nsys.modules['_zerverless'] = _m\ndel _m, sys, types`,
    )
    const module = pyodide.pyimport('_zerverless')
    this.zerverless = {
      run: module.run,
      call: module.call,
      after_call: module.after_call,
      forget: module.forget,
      held: module.held,
      evict: module.evict,
      baseline: module.baseline,
    }
    // Pyodide's own API object is a JS object a guest could explore for a way out: unregister it
    // and drop the copies Python already imported.
    try {
      pyodide.unregisterJsModule('pyodide_js')
    } catch {
      // Not registered under that name in this version.
    }
    pyodide.runPython(
      `def _forget():\n    import sys\n    for name in [n for n in sys.modules if n == 'pyodide_js' or n.startswith('pyodide_js.')]:\n        del sys.modules[name]\n_forget()\ndel _forget`,
    )
    this.zerverless.baseline()
  }

  /**
   * Loads an interpreter: from `snapshot` when given (fast), else from scratch. The `js` module sees
   * only an empty object, and `pyodide_js` is gone; the host must still lock its realm down
   * (see shared/sandbox/node/realm-lockdown.ts), because any JS object that reaches Python leads back to it.
   */
  static async load(
    loadPyodide: LoadPyodide,
    options: { snapshot?: Uint8Array; makeSnapshot?: boolean; indexURL?: string } = {},
  ): Promise<PythonRuntime> {
    const jsglobals = Object.create(null) as object
    const pyodide = await loadPyodide({
      jsglobals,
      stdout: () => {},
      stderr: () => {},
      env: { HOME: '/home/pyodide', PYTHONHASHSEED: '0' },
      ...(options.indexURL && { indexURL: options.indexURL }),
      ...(options.snapshot
        ? { _loadSnapshot: options.snapshot }
        : options.makeSnapshot
          ? { _makeSnapshot: true }
          : {}),
    })
    // What Python sees as `js`: nothing, and nothing a guest can add for a later job to find.
    Object.freeze(jsglobals)
    // Taken before our prelude runs: a snapshot must hold no state that refers to JS objects.
    const snapshot =
      options.makeSnapshot && !options.snapshot ? pyodide.makeMemorySnapshot() : undefined
    return new PythonRuntime(pyodide, pyodide._module.HEAP8.buffer.byteLength, snapshot)
  }

  /** Bytes of wasm heap now held; the owner replaces interpreters that grew far past `baseBytes`. */
  get heapBytes(): number {
    return this.pyodide._module.HEAP8.buffer.byteLength
  }

  async run(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    try {
      return this.execute(request, control)
    } finally {
      // A job's line to the host and its output end with its run, whatever Python left behind.
      this.host = undefined
      this.output = undefined
      this.errors = undefined
    }
  }

  private execute(request: RunRequest, control: RunControl): RunOutcome {
    const started = Date.now()
    this.output = new OutputBuffer(request.outputLimit)
    this.errors = new OutputBuffer(request.outputLimit)
    const finish = (outcome: GuestOutcome): RunOutcome => ({
      ...this.jsBudget.verdict(outcome, request.memoryBytes),
      output: this.output?.toString() ?? '',
      stderr: this.errors?.toString() ?? '',
      durationMs: Date.now() - started,
    })
    if (this.owner !== undefined && this.owner !== request.namespace) {
      return finish({
        ok: false,
        error: { code: 'WORKER_CRASHED', message: 'this interpreter serves another namespace' },
        poisoned: true,
      })
    }
    this.owner = request.namespace
    this.host = control.host
    const flag = control.stopFlag ?? this.ownFlag
    if (flag !== this.installedFlag) {
      // Pyodide reads the stop flag through the JS budget, which measures as it does.
      this.pyodide.setInterruptBuffer(this.jsBudget.signals(flag))
      this.installedFlag = flag
    }
    this.growth.maxBytes = this.heapBytes + request.memoryBytes
    this.jsBudget.start(request.memoryBytes)

    // Only function calls are warm; a key names one namespace's function version.
    const key = request.mode === 'function' ? request.warm?.key : undefined
    let text: string
    try {
      const input = JSON.stringify(request.input ?? {})
      text =
        key === undefined
          ? this.zerverless.run(
              request.code,
              input,
              request.mode ?? 'job',
              JSON.stringify(request.secrets ?? {}),
            )
          : this.zerverless.call(key, request.code, input)
    } catch (err) {
      // Pyodide itself failed (a fatal error or an exhausted host stack): this interpreter is done.
      return finish({ ok: false, error: fatalError(err), poisoned: true })
    }
    // A job that tampered with the report's own machinery garbled only its own report.
    const report = (tryParseJson(text) as PythonReport | undefined) ?? {
      ok: false,
      kind: 'ResultNotJson',
      message: 'the job replaced what reports its result',
    }
    let outcome: RunOutcome
    try {
      this.zerverless.after_call()
      outcome = finish(classify(report, control, request))
    } catch {
      return finish({ ...classify(report, control, request), poisoned: true } as GuestOutcome)
    }
    if (key === undefined) return outcome
    try {
      // Stopped or out of memory (here or in its JS values): the context may be half updated.
      if (!outcome.ok && DISCARDED.has(outcome.error.code)) this.zerverless.forget(key)
      this.warmHeld = this.zerverless.held()
    } catch {
      // Python could not even count: an interpreter in that state serves nothing more.
      if (!outcome.ok) return { ...outcome, poisoned: true }
    }
    return outcome
  }

  /**
   * What this interpreter's warm function contexts hold (an estimate made when each was made), as
   * of the last call: answered without entering Python, which a stopped or exhausted guest may
   * have left with an interrupt pending.
   */
  warmBytes(): number {
    return this.warmHeld
  }

  /** Drops least recently used warm contexts until the rest hold at most `keepBytes`. */
  dropWarm(keepBytes: number): void {
    if (this.warmHeld <= keepBytes) return
    try {
      this.zerverless.evict(keepBytes)
      this.warmHeld = this.zerverless.held()
    } catch {
      // An interrupt left pending: the contexts stay in the heap, which the pool bounds.
    }
  }

  private write(buffer: OutputBuffer | undefined, bytes: Uint8Array): number {
    buffer?.write(this.decoder.decode(bytes, { stream: true }))
    return bytes.length
  }
}

/**
 * What ended an interpreter that worked before the job and was reset for it: the job did (an exit
 * through ctypes or a reloaded `posix`, `os.abort()`, a fatal error), so it is the guest's error and
 * not the volunteer's, which would have it retried on other volunteers.
 */
function fatalError(err: unknown): JobError {
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RangeError && /call stack/i.test(message))
    return { code: 'STACK_OVERFLOW', message: 'RecursionError: the job recursed too deeply' }
  // Emscripten's exit(): it throws ExitStatus, or fails on `process`, which the lockdown removed.
  const name = err instanceof Error ? err.name : ''
  if (name === 'ExitStatus' || /process is not defined|Program terminated with exit/.test(message))
    return { code: 'GUEST_ERROR', message: `the job ended the Python interpreter (${EXIT_HINT})` }
  return {
    code: 'GUEST_ERROR',
    message: `the job brought the Python interpreter down: ${message.split('\n')[0]}`,
  }
}

/** Failures after which a warm context is not reused. */
const DISCARDED: ReadonlySet<JobError['code']> = new Set([
  'TIMEOUT',
  'CANCELLED',
  'OUT_OF_MEMORY',
  'WORKER_CRASHED',
])

const EXIT_HINT = 'a job cannot end its process; use sys.exit() to end a job early'

function classify(report: PythonReport, control: RunControl, request: RunRequest): GuestOutcome {
  if (report.ok) {
    const tooLarge = resultTooLarge(JSON.stringify(report.result ?? null).length)
    return tooLarge ? { ok: false, error: tooLarge } : { ok: true, result: report.result ?? null }
  }
  const kind = report.kind ?? 'Error'
  if (kind === 'KeyboardInterrupt')
    return { ok: false, error: stopReason(control, request.timeoutMs) }
  const line = report.line ?? guestLine(report.traceback) ?? undefined
  const base = {
    message: report.message ?? kind,
    ...(line !== undefined && line !== null && { line }),
    ...(report.traceback && { traceback: report.traceback }),
  }
  const code: JobError['code'] =
    kind === 'MemoryError'
      ? 'OUT_OF_MEMORY'
      : kind === 'RecursionError'
        ? 'STACK_OVERFLOW'
        : kind === 'SyntaxError' || kind === 'IndentationError' || kind === 'TabError'
          ? 'SYNTAX_ERROR'
          : kind === 'ResultNotJson'
            ? 'RESULT_NOT_JSON'
            : 'GUEST_ERROR'
  return { ok: false, error: { code, ...base } }
}
