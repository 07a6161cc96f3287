/** A benchmark suite: runs, returns JSON, and renders itself as a markdown table. */
export interface Suite {
  name: string
  run(log: (step: string) => void): Promise<unknown>
  table(result: unknown): string
}
