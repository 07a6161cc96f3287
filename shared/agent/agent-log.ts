/**
 * What an agent's command prints about it, for people watching a terminal: connected, lost and
 * retrying, what the orchestrator objected to. Tests and operators look for these words.
 */
import type { AgentEvent } from './agent-ports'

export interface AgentLogOptions {
  /** The socket's URL, as the connected line shows it. */
  url: string
  /** Who the orchestrator knows us as (a runner: `peer <id>`); by default the volunteer id. */
  as?: string
  /** Also print jobs that failed (a runner's owner wants to see them). */
  jobFailures?: boolean
}

/** The line to print for `event`, or undefined when it is not worth a line. */
export function agentEventLine(event: AgentEvent, options: AgentLogOptions): string | undefined {
  switch (event.type) {
    case 'welcome':
      return `connected to ${options.url} as ${options.as ?? event.volunteerId}`
    case 'disconnected':
      // Without a retry the agent is stopping, and says so itself.
      return event.retryInMs === undefined
        ? undefined
        : `disconnected (${event.code}${event.reason ? ` ${event.reason}` : ''}); retrying in ${event.retryInMs} ms`
    case 'protocol-error':
      return `orchestrator says ${event.code}: ${event.message}`
    case 'job-finished':
      return options.jobFailures && !event.ok
        ? `job ${event.jobId} failed: ${event.error}`
        : undefined
    default:
      return undefined
  }
}
