/**
 * A JavaScript function's code checked before it is uploaded: it must compile and declare
 * `handle`. Compiled only (node:vm, never run): the server runs the full check in a sandbox.
 */
import { Script } from 'node:vm'
import { CliError } from './cli-error'

/** Declarations a function's `handle` may take: function, const/let/var, or an export. */
const DECLARES_HANDLE =
  /\b(function\s*\*?\s*handle\s*\(|(const|let|var)\s+handle\s*=|handle\s*=\s*(async\s+)?(function|\())/

export function checkJsFunction(file: string, code: string): void {
  try {
    new Script(code, { filename: file })
  } catch (err) {
    const line = /:(\d+)\s*$/m.exec((err as Error).stack?.split('\n')[0] ?? '')?.[1]
    throw new CliError(
      'COMPILE_ERROR',
      `${file}${line ? `:${line}` : ''} does not compile: ${(err as Error).message}`,
    )
  }
  if (!DECLARES_HANDLE.test(code))
    throw new CliError(
      'NO_HANDLER',
      `${file} does not define handle(req): a function answers with \`function handle(req) { return { status: 200, body: "hi" } }\``,
    )
}
