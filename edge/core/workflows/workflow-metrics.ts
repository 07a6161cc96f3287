/** What the workflow engine reports for `GET /metrics` (observability/metrics.ts implements it). */
export interface WorkflowMetrics {
  /** `started` when a run starts (or is retried); its status when it ends. */
  runEnded(state: string): void
  stepEnded(status: string, seconds: number): void
}
