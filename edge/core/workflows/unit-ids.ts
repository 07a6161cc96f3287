/** A unit's identity: the deterministic job id of each of its attempts, and a unit at its first. */
import type { UnitRecord } from './workflow-store'

/** The deterministic id of a unit's attempt: the same step element never runs twice as one attempt. */
export const unitJobId = (runId: string, stepId: string, element: number, attempt: number) =>
  `${runId}.${stepId}.${element}.${attempt}`

/** Element `element` of a step, at its first attempt, not yet started. */
export function freshUnit(runId: string, stepId: string, element: number): UnitRecord {
  return {
    run_id: runId,
    step_id: stepId,
    element,
    attempt: 1,
    failures: 0,
    job_id: unitJobId(runId, stepId, element, 1),
    status: 'running',
    retry_at: null,
    result: undefined,
    output: null,
    error: null,
    executor: null,
    started_at: null,
    finished_at: null,
  }
}
