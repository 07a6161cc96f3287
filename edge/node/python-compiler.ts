/**
 * Python's syntax check for deploys: CPython's own `compile()` in Pyodide, loaded in the compile
 * thread on the first Python deploy. `compile()` parses and builds bytecode; nothing of the guest's
 * runs, so the interpreter needs no sandbox beyond the thread it lives in.
 */
import { fileURLToPath } from 'node:url'
import type { PythonCompiler, SyntaxProblem } from '../../shared/runtime/compile-check'
import { blockPyodideSockets } from '../../shared/sandbox/node/realm-lockdown'

/** Answers `[message, line]` for a source that does not compile, None when it does. */
const CHECK = `
def _zerverless_compile_check(source):
    try:
        compile(source, "<function>", "exec")
        return None
    except SyntaxError as err:
        return [f"{type(err).__name__}: {err.msg}", err.lineno]
    except (ValueError, MemoryError, RecursionError) as err:
        return [f"{type(err).__name__}: {err}", None]
_zerverless_compile_check
`

interface PyCallable {
  (source: string): { toJs(): unknown; destroy(): void } | undefined
}

/** Loads Pyodide (about 1.5 s and 150 MB, once per thread) and answers its compile check. */
export async function loadPythonCompiler(): Promise<PythonCompiler> {
  blockPyodideSockets()
  const { loadPyodide } = await import('pyodide')
  const pyodide = await loadPyodide({
    indexURL: fileURLToPath(new URL('.', import.meta.resolve('pyodide'))),
  })
  const check = pyodide.runPython(CHECK) as PyCallable
  return (code) => {
    const answer = check(code)
    if (answer === undefined || answer === null) return undefined
    const [message, line] = answer.toJs() as [string, number | null]
    answer.destroy()
    const problem: SyntaxProblem = { message }
    if (typeof line === 'number') problem.line = line
    return problem
  }
}
