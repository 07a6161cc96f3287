/**
 * The Node host's CodeCompiler: the parsers run in worker_threads of their own (compile-thread.ts),
 * started on the first deploy and replaced when they die or overrun, so a deploy of hostile code
 * costs the orchestrator a message, never a blocked event loop. Python has a thread of its own
 * that ends after a minute without a Python deploy: Pyodide holds ~150 MB the light parsers do not.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Runtime } from '../../shared/protocol/job'
import type { SyntaxProblem } from '../../shared/runtime/compile-check'
import type { CodeCompiler } from '../core/functions/code-check'
import type { CompileAsk } from './compile-thread'

/** A compile that takes longer than this (a 1 MiB js source takes ~1 s) is refused. */
const COMPILE_TIMEOUT_MS = 15_000
/** Python's first check also loads Pyodide (~1.5 s, longer on a busy machine). */
const PYTHON_TIMEOUT_MS = 45_000
/** The Python thread ends after this long without a check. */
const PYTHON_IDLE_MS = 60_000

interface Pending {
  ask: CompileAsk
  resolve: (problem: SyntaxProblem | undefined) => void
  timer: ReturnType<typeof setTimeout>
}

/** Beside this file in `dist/node/`, or the built one when run from source (tests). */
function threadFile(): URL {
  const beside = new URL('./compile-thread.js', import.meta.url)
  if (existsSync(fileURLToPath(beside))) return beside
  return new URL('../../dist/node/compile-thread.js', import.meta.url)
}

/** One compile thread and the checks it holds. */
class CompileLane {
  #worker: Worker | undefined
  readonly #pending = new Map<number, Pending>()
  #idle: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly timeoutMs: number,
    /** Ends the thread after this long without a check; undefined keeps it. */
    private readonly idleMs?: number,
  ) {}

  send(ask: CompileAsk, resolve: Pending['resolve']): void {
    clearTimeout(this.#idle)
    const worker = (this.#worker ??= this.#spawn())
    const timer = setTimeout(() => this.#overran(ask.id), this.timeoutMs)
    this.#pending.set(ask.id, { ask, resolve, timer })
    worker.postMessage(ask)
  }

  /**
   * One source kept the thread past the limit: it is refused, the thread replaced, and the checks
   * queued behind it are sent again to the new one (their code did nothing wrong).
   */
  #overran(id: number): void {
    const culprit = this.#pending.get(id)
    this.#pending.delete(id)
    const waiting = [...this.#pending.values()]
    this.#pending.clear()
    for (const pending of waiting) clearTimeout(pending.timer)
    this.stop('')
    culprit?.resolve({
      message: `the code took longer than ${this.timeoutMs / 1000} s to compile`,
    })
    for (const pending of waiting) this.send(pending.ask, pending.resolve)
  }

  #spawn(): Worker {
    const worker = new Worker(threadFile(), {
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 4 },
    })
    // A deploy waits for its answer; an idle checker must not keep the process alive.
    worker.unref()
    worker.on('message', ({ id, problem }: { id: number; problem?: SyntaxProblem }) => {
      const pending = this.#pending.get(id)
      if (!pending) return
      this.#pending.delete(id)
      clearTimeout(pending.timer)
      pending.resolve(problem)
      if (this.idleMs !== undefined && this.#pending.size === 0)
        this.#idle = setTimeout(() => this.stop(''), this.idleMs).unref()
    })
    worker.on('error', (err) => this.stop(`the compile check failed: ${err.message}`))
    worker.on('exit', (code) => this.stop(`the compile check stopped (exit code ${code})`))
    return worker
  }

  /** Ends the thread (a new one starts on the next check) and refuses what it still held. */
  stop(why: string): void {
    clearTimeout(this.#idle)
    const worker = this.#worker
    this.#worker = undefined
    if (worker) {
      worker.removeAllListeners()
      void worker.terminate()
    }
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      this.#pending.delete(id)
      pending.resolve({ message: why })
    }
  }
}

export class ThreadCompiler {
  readonly #light = new CompileLane(COMPILE_TIMEOUT_MS)
  readonly #python = new CompileLane(PYTHON_TIMEOUT_MS, PYTHON_IDLE_MS)
  #next = 0

  /** The CodeCompiler the orchestrator is given. */
  readonly compile: CodeCompiler = (runtime, code) => this.#ask(runtime, code)

  #ask(runtime: Runtime, code: string): Promise<SyntaxProblem | undefined> {
    if (runtime !== 'js' && runtime !== 'lua' && runtime !== 'python')
      return Promise.resolve(undefined)
    const lane = runtime === 'python' ? this.#python : this.#light
    const ask: CompileAsk = { id: ++this.#next, runtime, code }
    return new Promise((resolve) => lane.send(ask, resolve))
  }

  /** Stops the threads; pending checks are refused. */
  close(): void {
    this.#light.stop('the orchestrator is stopping')
    this.#python.stop('the orchestrator is stopping')
  }
}
