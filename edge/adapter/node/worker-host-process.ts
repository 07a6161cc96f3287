/**
 * Internal workers' process: hosts the volunteer agents and their sandbox threads apart from the
 * orchestrator. A sandbox thread's heap limit is best-effort: one allocation past it (a guest's
 * `Array(2**27).fill(0)` through Pyodide's FFI) makes V8 abort the whole process
 * (nodejs/node#47224), so that process must not be the orchestrator's. The orchestrator sends
 * the options (which hold the volunteer token) over IPC, never on the command line.
 */
import { startWorkerHost, type WorkerHost, type WorkerHostOptions } from './worker-host'

type Command = { start: WorkerHostOptions } | 'drain' | 'stop'

let host: WorkerHost | undefined

process.on('message', (command: Command) => {
  if (typeof command === 'object') {
    host ??= startWorkerHost(command.start)
    return
  }
  void Promise.resolve(command === 'drain' ? host?.drain() : host?.stop()).then(() => {
    process.send?.('done')
    // Stopped: nothing is left to do, so the process ends once the channel closes.
    if (command === 'stop') process.disconnect?.()
  })
})

// The orchestrator is gone, even by kill -9: its internal workers go with it.
process.on('disconnect', () => process.exit(0))
