/**
 * What a deploy checks before it stores a function's code: that it compiles (where the host can
 * compile the language without running it: a `CodeCompiler`) and that it names a `handle`. The
 * code is never run; compiling happens inside the runtime's wasm sandbox (see
 * shared/runtime/compile-check.ts; the Node host runs it in a thread, edge/node/thread-compiler.ts),
 * so hostile code reaches a parser and nothing else. The Workers host has no compiler.
 */
import type { Runtime } from '../../../shared/protocol/job'
import { HttpError } from '../http-error'

/** Why code cannot be deployed: the guest language's message, and its line where it has one. */
export interface CodeProblem {
  code: 'SYNTAX_ERROR' | 'NO_HANDLER'
  message: string
  line?: number
}

/**
 * Compiles `code` without running it: the syntax error (with its line) when it does not compile,
 * undefined when it does or when this compiler does not know the language.
 */
export type CodeCompiler = (
  runtime: Runtime,
  code: string,
) => Promise<{ message: string; line?: number } | undefined>

/**
 * Languages whose functions must define `handle`. Python may instead leave its response in a
 * top-level `result` (the seed's example does), and wasm functions are modules, not code.
 */
const NEEDS_HANDLE = new Set<Runtime>(['js', 'lua'])

/**
 * A deployable function defines `handle`, so its text holds the word. Telling a definition apart
 * from a mention would take running the top level (which may read the database or `SECRETS`, and
 * is guest code): the check is the cheap, never-wrong half that catches the usual slips
 * (`handler`, `main`, a missing function).
 */
function missingHandle(runtime: Runtime, code: string): CodeProblem | undefined {
  if (!NEEDS_HANDLE.has(runtime) || /\bhandle\b/.test(code)) return undefined
  return {
    code: 'NO_HANDLER',
    message: `the code defines no handle: a ${runtime} function must define handle(req), returning {status, headers, body}`,
  }
}

/** Why `code` cannot be deployed as a `runtime` function, or undefined when it can. */
export async function findCodeProblem(
  runtime: Runtime,
  code: string,
  compile: CodeCompiler | undefined,
): Promise<CodeProblem | undefined> {
  if (runtime === 'wasm') return undefined
  const syntax = compile && (await compile(runtime, code))
  return syntax ? { code: 'SYNTAX_ERROR', ...syntax } : missingHandle(runtime, code)
}

/** Throws a 400 INVALID_FUNCTION with the guest's message and line when `code` cannot be deployed. */
export async function checkFunctionCode(
  runtime: Runtime,
  code: string,
  compile: CodeCompiler | undefined,
): Promise<void> {
  const problem = await findCodeProblem(runtime, code, compile)
  if (!problem) return
  const where = problem.line === undefined ? '' : ` (line ${problem.line})`
  throw new HttpError(400, 'INVALID_FUNCTION', `${problem.message}${where}`, {
    field: 'code',
    ...(problem.line !== undefined && { line: problem.line }),
    details: problem,
  })
}
