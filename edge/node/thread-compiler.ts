/**
 * The Node host's CodeCompiler: the parsers run in one worker_thread of their own (compile-thread.ts),
 * started on the first deploy and replaced when it dies or overruns, so a deploy of hostile code
 * costs the orchestrator a message, never a blocked event loop.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Runtime } from '../../shared/protocol/job'
import type { SyntaxProblem } from '../../shared/runtime/compile-check'
import type { CodeCompiler } from '../core/functions/code-check'
import type { CompileAsk } from './compile-thread'

/** A compile that takes longer than this (a 1 MiB source takes ~1 s) is refused. */
const COMPILE_TIMEOUT_MS = 15_000

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

export class ThreadCompiler {
  #worker: Worker | undefined
  readonly #pending = new Map<number, Pending>()
  #next = 0

  /** The CodeCompiler the orchestrator is given. */
  readonly compile: CodeCompiler = (runtime, code) => this.#ask(runtime, code)

  #ask(runtime: Runtime, code: string): Promise<SyntaxProblem | undefined> {
    if (runtime !== 'js' && runtime !== 'lua') return Promise.resolve(undefined)
    const ask: CompileAsk = { id: ++this.#next, runtime, code }
    return new Promise((resolve) => this.#send(ask, resolve))
  }

  #send(ask: CompileAsk, resolve: Pending['resolve']): void {
    const worker = (this.#worker ??= this.#spawn())
    const timer = setTimeout(() => this.#overran(ask.id), COMPILE_TIMEOUT_MS)
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
    this.#stop('')
    culprit?.resolve({
      message: `the code took longer than ${COMPILE_TIMEOUT_MS / 1000} s to compile`,
    })
    for (const pending of waiting) this.#send(pending.ask, pending.resolve)
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
    })
    worker.on('error', (err) => this.#stop(`the compile check failed: ${err.message}`))
    worker.on('exit', (code) => this.#stop(`the compile check stopped (exit code ${code})`))
    return worker
  }

  /** Ends the thread (a new one starts on the next deploy) and refuses what it still held. */
  #stop(why: string): void {
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

  /** Stops the thread; pending checks are refused. */
  close(): void {
    this.#stop('the orchestrator is stopping')
  }
}
