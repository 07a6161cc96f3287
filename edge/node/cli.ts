/**
 * `zerverless`: one binary, two faces. `zerverless [serve] [flags]` starts the server as it always
 * did; `zerverless <verb> …` (run, jobs, deploy, kv, …) is the developer CLI talking to one.
 * Each face is loaded only when asked for, so a verb does not pay for the server's modules.
 */
import { clientVerbAt } from './cli/verb-dispatch'

if (clientVerbAt(process.argv.slice(2))) {
  const { runClient } = await import('./cli/client-program')
  await runClient(process.argv)
} else await import('./serve')
