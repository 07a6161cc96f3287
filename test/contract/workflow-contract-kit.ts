/** What the workflow contract's tests share: its namespaces and a few calls on the API. */
import { expect } from 'vitest'
import { api, type Fetcher } from '../helpers/api'

/**
 * Two namespaces whose workflows live apart: on the edge with four rooms they hash to rooms 1
 * and 3 (test/edge/workflow-contract.test.ts checks it), neither of them the home room.
 */
export const WORKFLOW_NAMESPACES = ['wf-alpha', 'wf-delta'] as const

/** A namespace of the home room (room 0 of four on the edge), where services and runners are. */
export const HOME_NAMESPACE = 'wf-gamma'

export type WorkflowKit = ReturnType<typeof workflowKit>

export function workflowKit(target: string | Fetcher) {
  const client = api(target)
  const kit = {
    /** Defines a workflow (expecting 201) and returns its id. */
    async define(doc: object): Promise<string> {
      const created = await client.post('/api/workflows', doc)
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      return created.body.id as string
    },
    /** Starts a run (expecting 202) and returns it as the API answered. */
    async start(id: string, input?: unknown) {
      const started = await client.post(
        `/api/workflows/${id}/runs`,
        input === undefined ? {} : { input },
      )
      expect(started.status, JSON.stringify(started.body)).toBe(202)
      return started.body
    },
    /** Starts a run and waits (up to 40 s) for it to end. */
    async runToEnd(id: string, input?: unknown) {
      const run = await kit.start(id, input)
      const done = await client.get(`/api/workflow-runs/${run.id}?wait=40`)
      expect(done.status, JSON.stringify(done.body)).toBe(200)
      return done.body
    },
    step: (run: { steps: { id: string }[] }, id: string) =>
      run.steps.find((s) => s.id === id) as Record<string, any>,
    put: (path: string, body: unknown) => client.put(path, body),
  }
  return kit
}
