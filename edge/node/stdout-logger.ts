/** The Node host's logs: JSON lines on stdout, one stream for a supervisor or collector to read. */
import { jsonLogger, type Logger, type LogThreshold } from '../core/observability/logger'

export function stdoutLogger(threshold: LogThreshold = 'info'): Logger {
  // Synchronous on files and pipes (Linux), so lines are not lost when the process exits.
  return jsonLogger((line) => process.stdout.write(`${line}\n`), threshold)
}
