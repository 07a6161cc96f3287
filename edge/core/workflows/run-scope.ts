/** What a run's references resolve against: its input, and its completed steps' results. */
import type { JsonValue } from '../../../shared/protocol/json'
import type { LargeResults } from './large-results'
import type { Scope } from './templates'
import type { RunRecord, WorkflowStore } from './workflow-store'

/** Reads the run's completed steps (a result kept in storage is read back and checked). */
export async function readScope(
  store: WorkflowStore,
  results: LargeResults,
  run: RunRecord,
): Promise<Scope> {
  const done: Scope['steps'] = {}
  for (const step of store.steps(run.id)) {
    if (step.status !== 'completed') continue
    done[step.step_id] = step.stored
      ? ((await results.load(run.namespace, step.stored)) as {
          result: JsonValue
          output: JsonValue
        })
      : { result: step.result ?? null, output: step.output ?? null }
  }
  return { input: run.input, steps: done }
}
