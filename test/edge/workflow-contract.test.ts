/**
 * The workflow contract against the Worker under real workerd, its namespaces spread over four
 * job rooms (the contract's two namespaces in two rooms, neither the home room), with a real
 * `zerverless --worker` connected over WebSocket.
 */
import { expect, it } from 'vitest'
import { roomOf } from '../../edge/workers/room-routing'
import { describeWorkflowContract } from '../contract/workflow-contract'
import { HOME_NAMESPACE, WORKFLOW_NAMESPACES } from '../contract/workflow-contract-kit'
import { startEdge } from '../helpers/edge-process'
import { startWorker } from '../helpers/worker-process'

const ROOMS = 4

it('spreads the contract namespaces over two rooms other than the home room, and one in it', () => {
  const rooms = WORKFLOW_NAMESPACES.map((ns) => roomOf(ns, ROOMS))
  expect(new Set(rooms).size).toBe(WORKFLOW_NAMESPACES.length)
  expect(rooms).not.toContain(0)
  expect(roomOf(HOME_NAMESPACE, ROOMS)).toBe(0)
})

describeWorkflowContract('Workers (workerd)', async () => {
  // The rooms' JSON log lines (info and above) come through wrangler's output.
  const edge = await startEdge({ rooms: ROOMS, vars: { LOG_LEVEL: 'info' }, logLevel: 'log' })
  const worker = startWorker(edge.wsUrl, 2)
  return {
    http: edge.url,
    url: edge.url,
    host: 'workers',
    logs: edge.output,
    stop: async () => {
      await worker.kill()
      if (process.env.ZV_DEBUG) console.log(edge.output(), worker.output())
      await edge.dispose()
    },
  }
})
