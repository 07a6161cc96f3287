/**
 * A worker_thread that compiles functions' code for deploys (shared/runtime/compile-check.ts), so a
 * large or hostile source never blocks the orchestrator's event loop nor touches its heap.
 */
import { parentPort } from 'node:worker_threads'
import type { Runtime } from '../../shared/protocol/job'
import { CompileCheck } from '../../shared/runtime/compile-check'
import { loadPythonCompiler } from './python-compiler'

/** What the orchestrator asks: compile `code` as `runtime`. */
export interface CompileAsk {
  id: number
  runtime: Runtime
  code: string
}

const check = new CompileCheck(loadPythonCompiler)

parentPort?.on('message', (ask: CompileAsk) => {
  void check.check(ask.runtime, ask.code).then(
    (problem) => parentPort?.postMessage({ id: ask.id, problem }),
    (err: unknown) =>
      parentPort?.postMessage({
        id: ask.id,
        problem: { message: `the code could not be compiled: ${String(err)}` },
      }),
  )
})
