/**
 * What `zerverless --worker` and `zerverless-runner` share around their volunteer agents: one
 * rule for the orchestrator's URL, one way of saying what the agents do, one answer to Ctrl-C
 * (drain: running jobs finish and are reported; again: stop now), one way of refusing to start.
 */
import { agentEventLine, type AgentLogOptions } from '../agent-log'
import type { AgentEvent } from '../agent-ports'
import { orchestratorEndpoints, type OrchestratorEndpoints } from '../orchestrator-url'

/** Agents a command can wind down. */
interface Drainable {
  /** Running jobs finish and are reported, then everything closes. */
  drain(): Promise<void>
  /** Closes at once; the orchestrator re-queues what was running. */
  stop(): Promise<void>
  /** Jobs running now, when the command can tell (the drain line says how many). */
  running?(): number
}

export interface AgentCli {
  /** Prints a line for people on stdout, after the command's prefix. */
  log(line: string): void
  /** Prints `<command>: <message>` on stderr and exits with 2: a setting that cannot work. */
  fail(message: string): never
  /** Where to connect for `raw`, or fail saying why. */
  endpoints(raw: string, options?: { role?: 'runner' }): OrchestratorEndpoints
  /** Logs an agent's events worth a line (see agent-log.ts), after `who` when given. */
  logEvent(event: AgentEvent, options: AgentLogOptions & { who?: string }): void
  /** The first SIGINT or SIGTERM drains `agents`, a second stops them; then the process exits 0. */
  drainOnSignals(agents: Drainable): void
}

/**
 * `command` names the process in errors (`zerverless-runner: …`); `prefix` starts every line it
 * logs (the runner's own name; nothing for `zerverless --worker`, whose lines name a worker).
 */
export function agentCli(options: { command: string; prefix?: string }): AgentCli {
  const prefix = options.prefix ?? ''
  const log = (line: string) => console.log(`${prefix}${line}`)
  const fail = (message: string): never => {
    console.error(`${options.command}: ${message}`)
    process.exit(2)
  }
  return {
    log,
    fail,
    endpoints(raw, endpointOptions) {
      const found = orchestratorEndpoints(raw, endpointOptions)
      return found.ok ? found.value : fail(found.error.message)
    },
    logEvent(event, logOptions) {
      const line = agentEventLine(event, logOptions)
      if (line) log(logOptions.who ? `${logOptions.who}: ${line}` : line)
    },
    drainOnSignals(agents) {
      let signals = 0
      const onSignal = (signal: string) => {
        signals++
        if (signals > 1) {
          log('stopping now; running jobs are abandoned and the orchestrator re-queues them')
          void agents.stop().then(() => process.exit(0))
          return
        }
        const running = agents.running?.()
        const what =
          running === undefined
            ? 'running jobs finish and are reported'
            : `finishing ${running} running job(s)`
        log(`${signal}: draining, ${what} (repeat to stop now)`)
        void agents.drain().then(() => {
          log('drained; bye')
          process.exit(0)
        })
      }
      process.on('SIGINT', () => onSignal('SIGINT'))
      process.on('SIGTERM', () => onSignal('SIGTERM'))
    },
  }
}
