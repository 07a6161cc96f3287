/**
 * `zerverless`: one binary, two faces. `zerverless [serve] [flags]` starts the server as it always
 * did; `zerverless <verb> …` (run, jobs, deploy, kv, …) is the developer CLI talking to one.
 * Each face is loaded only when asked for, so a verb does not pay for the server's modules.
 */
import { setFlagsFromString } from 'node:v8'
import { clientVerbAt } from './cli/verb-dispatch'

if (clientVerbAt(process.argv.slice(2))) {
  // A verb's only WebAssembly is the HTTP parser behind fetch (undici's llhttp). V8 would also
  // compile it with its optimizing tier in the background, and a process does not exit before
  // that is done: 60 ms of a 150 ms `jobs list`. Baseline code is plenty for a few requests.
  setFlagsFromString('--liftoff-only')
  const { runClient } = await import('./cli/client-program')
  await runClient(process.argv)
} else await import('./serve')
