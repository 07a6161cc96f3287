/**
 * The shapes the console reads, named from the types generated from the OpenAPI document
 * (shared/client/), so a page that reads a field the API does not give fails the build.
 */
import type { components, paths } from '../../../shared/client/generated/api-types'

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never
type Ok<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends {
  responses: infer R
}
  ? Json<R[200 & keyof R]>
  : never

export type Job = components['schemas']['Job']
export type Batch = components['schemas']['BatchStatus']

/** A page of jobs; `next_cursor` (the next page's offset) when there are more. */
export interface JobPage {
  jobs: Job[]
  next_cursor: string | null
}

type FunctionRead = Ok<'/api/deploy/{user}/{path}', 'get'>
/** A function with its kept versions. */
export type Deployment = Extract<FunctionRead, { versions: unknown }>
/** A function's printed lines and its calls, newest first. */
export type FunctionLogs = Extract<FunctionRead, { invocations: unknown }>
export type Invocation = FunctionLogs['invocations'][number]

export type Workflow = Ok<'/api/workflows/{id}', 'get'>
export type RunStep = Ok<'/api/workflow-runs/{run}', 'get'>['steps'][number]

/** A step as the DAG draws it: its id and the steps it waits for. */
export interface WorkflowStep {
  id: string
  needs?: string[]
}

/** One run of a cron trigger, newest first in its trigger's `runs`. */
export type CronRun = Ok<'/api/cron/{ns}', 'get'>['crons'][number]['runs'][number]
