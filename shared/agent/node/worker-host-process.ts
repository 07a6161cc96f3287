/**
 * The child process a worker host runs in (see worker-host-supervisor.ts): volunteers and their
 * sandbox threads, apart from the orchestrator or the `--worker` command that started it. Options
 * (which may hold a credential) arrive over IPC, never on the command line.
 */
import type { HostCommand, HostReport } from './worker-host-supervisor'
import { startWorkerHost, type WorkerHost } from './worker-host'

let host: WorkerHost | undefined
const report = (message: HostReport) => process.send?.(message)

process.on('message', (command: HostCommand) => {
  if (typeof command === 'object') {
    host ??= startWorkerHost({
      ...command.start,
      ...(command.events && { onEvent: (index, event) => report({ event: { index, event } }) }),
    })
    return
  }
  void Promise.resolve(command === 'drain' ? host?.drain() : host?.stop()).then(() => {
    report('done')
    // Drained or stopped: nothing is left to do, so the process ends once the channel closes.
    process.disconnect?.()
  })
})

// Ctrl-C reaches the whole process group: the parent decides when to drain and stop.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})
// The parent is gone, even by kill -9: its volunteers go with it.
process.on('disconnect', () => process.exit(0))
