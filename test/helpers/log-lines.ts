/** Reading what an orchestrator logged: its JSON lines, among whatever else it printed. */

/** The stdout lines that are JSON log records. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}
