/**
 * The child process a worker host runs in (see worker-host-supervisor.ts): volunteers and their
 * sandbox threads, apart from the orchestrator or the `--worker` command that started it. Options
 * (which may hold a credential) arrive over IPC, never on the command line. Internal workers'
 * frames travel over that same channel (child-links.ts); `--worker`'s over WebSockets.
 */
import { ChildLinks } from './child-links'
import { isLinkBatch, type LinkBatch, type ParentItem } from './link-channel'
import type { HostCommand, HostReport } from './worker-host-supervisor'
import { startWorkerHost, type WorkerHost } from './worker-host'

let host: WorkerHost | undefined
let links: ChildLinks | undefined
const report = (message: HostReport) => process.send?.(message)

process.on('message', (command: HostCommand | LinkBatch<ParentItem>) => {
  if (isLinkBatch<ParentItem>(command)) {
    links?.receive(command.link)
    return
  }
  if (typeof command === 'object') {
    if (host) return
    // Not after the parent is gone (the process is exiting then): a send would throw.
    if (command.links) links = new ChildLinks((batch) => process.connected && process.send?.(batch))
    host = startWorkerHost(
      {
        ...command.start,
        ...(command.events && { onEvent: (index, event) => report({ event: { index, event } }) }),
      },
      links?.connect,
    )
    return
  }
  void Promise.resolve(command === 'drain' ? host?.drain() : host?.stop()).then(() => {
    // The links' last frames (reports, closes) go before `done`.
    links?.flush()
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
