/** `zerverless --worker <url>`: volunteers for another orchestrator, drained cleanly on Ctrl-C. */
import { superviseWorkerHost } from '../../shared/agent/node/worker-host-supervisor'

export interface WorkerModeOptions {
  url: string
  workers: number
  namespaces?: string[]
  /** Presented in hello (`--token`): makes these volunteers trusted for the token's namespaces. */
  token?: string
}

export function runWorkerMode(options: WorkerModeOptions): void {
  const url = normalizeUrl(options.url)
  // Guests run in a child process, started again if one brings it down (worker-host-supervisor.ts).
  const host = superviseWorkerHost(
    {
      url,
      workers: options.workers,
      kind: 'node',
      ...(options.namespaces && { namespaces: options.namespaces }),
      ...(options.token && { token: options.token }),
    },
    {
      onEvent: (i, event) => {
        const who = `worker ${i + 1}`
        if (event.type === 'welcome')
          console.log(`${who}: connected to ${url} as ${event.volunteerId}`)
        else if (event.type === 'disconnected' && event.retryInMs !== undefined) {
          console.log(
            `${who}: disconnected (${event.code}${event.reason ? ` ${event.reason}` : ''}); retrying in ${event.retryInMs} ms`,
          )
        } else if (event.type === 'protocol-error')
          console.log(`${who}: orchestrator says ${event.code}: ${event.message}`)
      },
      onRestart: (why, inMs) =>
        console.log(`the workers' process exited (${why}); starting it again in ${inMs} ms`),
    },
  )
  console.log(
    `zerverless worker: ${options.workers} volunteer${options.workers === 1 ? '' : 's'} for ${url}`,
  )

  let signals = 0
  const onSignal = (signal: string) => {
    signals++
    if (signals > 1) {
      console.log('stopping now; running jobs are abandoned and the orchestrator re-queues them')
      void host.stop().then(() => process.exit(0))
      return
    }
    console.log(`${signal}: draining, running jobs finish and are reported (repeat to stop now)`)
    void host.drain().then(() => {
      console.log('drained; bye')
      process.exit(0)
    })
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
}

/** Accepts http(s):// and a bare host too, and fills in the volunteer path. */
export function normalizeUrl(raw: string): string {
  let url = raw.includes('://') ? raw : `ws://${raw}`
  url = url.replace(/^http(s?):\/\//, 'ws$1://')
  const parsed = new URL(url)
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/ws/volunteer'
  return parsed.toString()
}
