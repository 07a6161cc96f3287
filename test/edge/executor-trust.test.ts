/** The executor-trust rules against the Worker under real workerd, with auth on. */
import { describeExecutorTrust, TRUST_ADMIN } from '../contract/executor-trust-contract'
import { startEdge } from '../helpers/edge-process'

describeExecutorTrust('Workers (workerd)', async () => {
  // One room, so that scripted volunteers land where alice's and bob's work is.
  const edge = await startEdge({ rooms: 1, vars: { AUTH: 'on', ADMIN_TOKEN: TRUST_ADMIN } })
  return {
    url: edge.url,
    wsUrl: edge.wsUrl,
    runnerWsUrl: `${edge.wsUrl}?role=runner`,
    stop: async () => {
      if (process.env.ZV_DEBUG) console.log(edge.output())
      await edge.dispose()
    },
  }
})
